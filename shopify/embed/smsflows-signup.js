/* smsflows sign-up for pages outside Shopify (a landing page, a blog): posts to the public POST /subscribe.
 * On a Shopify storefront use the theme app extension instead (it goes through the signed app proxy).
 *
 *   <div data-smsflows-signup
 *        data-endpoint="https://sms.example.com"            (the stack output PublicBaseUrl)
 *        data-shop="demo-shop.myshopify.com" data-brand="Demo Shop" data-frequency="up to 6 msgs/mo"
 *        data-terms="https://demo-shop.example/terms" data-privacy="https://demo-shop.example/privacy"></div>
 *   <script src="smsflows-signup.js" defer></script>
 *
 * The disclosure shown (and posted as disclosure_text, exactly as shown) is built from those attributes and
 * carries what the backend checks (RULES.md A3.1): the brand (the shop's, as onboarded), recurring automated
 * marketing, the frequency, not a condition of purchase, "Msg & data rates may apply", HELP, STOP, Terms and
 * Privacy. The box starts unticked; the shopper confirms with Y to the text that follows (double opt-in). */
(function () {
  'use strict';

  function disclosure(d) {
    return 'Yes, text me offers from ' + d.brand + ': recurring automated marketing texts, ' +
      (d.frequency || 'up to 6 msgs/mo') + '. Consent is not a condition of purchase. Msg & data rates may apply. ' +
      'Reply HELP for help, STOP to cancel. Terms: ' + d.terms + ' Privacy: ' + d.privacy;
  }

  // A US/Canadian number: 10 digits (a leading 1 allowed), area code and exchange starting 2-9; any other
  // country: + and 8 to 15 digits. The backend checks the number fully and the shop's countries.
  function e164(raw) {
    var v = raw.replace(/[\s().\-]/g, '');
    if (/^\+\d{8,15}$/.test(v)) return v.indexOf('+1') !== 0 || /^\+1[2-9]\d\d[2-9]\d{6}$/.test(v) ? v : null;
    if (v.length === 11 && v.charAt(0) === '1') v = v.slice(1);
    return /^[2-9]\d\d[2-9]\d{6}$/.test(v) ? '+1' + v : null;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'sub-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }

  function mount(root, n) {
    var d = root.dataset;
    var id = 'smsflows-signup-' + n;
    root.innerHTML =
      '<form novalidate>' +
      '<label for="' + id + '-phone">Mobile number</label> ' +
      '<input id="' + id + '-phone" type="tel" inputmode="tel" autocomplete="tel" required aria-describedby="' + id + '-hint">' +
      '<p id="' + id + '-hint" aria-live="polite"></p>' +
      '<p><input id="' + id + '-consent" type="checkbox"> <label for="' + id + '-consent" id="' + id + '-disclosure"></label></p>' +
      '<button type="submit" disabled>Sign up for texts</button>' +
      '<p role="status" aria-live="polite"></p></form>';
    var form = root.querySelector('form');
    var phone = form.querySelector('input[type=tel]');
    var box = form.querySelector('input[type=checkbox]');
    var button = form.querySelector('button');
    var hint = form.querySelector('#' + id + '-hint');
    var status = form.querySelector('[role=status]');
    var shown = form.querySelector('#' + id + '-disclosure');
    shown.textContent = disclosure(d);  // text, never markup

    function update() {
      var ok = e164(phone.value);
      hint.textContent = ok || !phone.value ? '' : 'Enter a 10-digit US number, or + and the country code.';
      phone.setAttribute('aria-invalid', ok || !phone.value ? 'false' : 'true');
      button.disabled = !(ok && box.checked);
      return ok;
    }
    phone.addEventListener('input', update);
    box.addEventListener('change', update);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var number = update();
      if (!number || !box.checked) return;
      button.disabled = true;
      fetch(d.endpoint.replace(/\/$/, '') + '/subscribe', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          shop: d.shop, phone: number,
          consent: { checked: true, default_checked: false, disclosure_text: shown.textContent },
          page_url: location.href.slice(0, 500), submission_id: uuid()
        })
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (answer) {
          if (r.status === 202 || r.status === 200) {
            form.textContent = answer.status === 'already_subscribed'
              ? "You're already subscribed to our texts." : 'Check your phone: reply Y to confirm.';
            return;
          }
          throw new Error(answer.error || answer.message || 'That did not work. Please try again.');
        });
      }).catch(function (e) {
        status.textContent = e.message && !/fetch|network/i.test(e.message) ? e.message : 'That did not work. Please try again.';
        update();
      });
    });
  }

  function all() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-smsflows-signup]'), function (root, i) {
      if (!root.getAttribute('data-smsflows-ready')) { root.setAttribute('data-smsflows-ready', 'true'); mount(root, i + 1); }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all); else all();
})();
