/* smsflows storefront sign-up: the popup (app embed) and the inline form (app block). Plain JavaScript, no
 * framework, no build step; loaded deferred, once per page, by the blocks' schema.
 *
 * Everything goes through the shop's app proxy (`data-proxy`, /apps/sms unless the merchant renamed it), so
 * Shopify signs each request with the shop (and the logged-in customer) and the backend trusts no page:
 *   GET  {proxy}/config     the shop's brand, CTIA disclosure, keyword, number, countries
 *   POST {proxy}/subscribe  {phone, country, consent: {checked, default_checked, disclosure_text}, ...}
 * The disclosure posted is the text shown next to the box, read back from the page (exactly what was shown);
 * the box starts unticked and the button stays disabled until the box is ticked and the number is plausible.
 * A sign-up is a double opt-in: the shopper gets a text and confirms with Y. */
(function () {
  'use strict';

  var STORE_KEY = 'smsflows:optin';
  var DAY_MS = 864e5;
  // National number lengths (digits after the country code) of the countries a shop may text; NANP numbers
  // (US, CA, PR) also have area codes and exchanges that start with 2-9. A country missing here is checked
  // against E.164's bounds only (the backend checks every number properly).
  var COUNTRIES = {
    US: { cc: '1', len: [10], nanp: true, name: 'US' },
    CA: { cc: '1', len: [10], nanp: true, name: 'Canadian' },
    PR: { cc: '1', len: [10], nanp: true, name: 'Puerto Rican' },
    GB: { cc: '44', len: [10], trunk: '0', name: 'UK' },
    IE: { cc: '353', len: [9], trunk: '0', name: 'Irish' },
    AU: { cc: '61', len: [9], trunk: '0', name: 'Australian' },
    NZ: { cc: '64', len: [8, 9, 10], trunk: '0', name: 'New Zealand' },
    FR: { cc: '33', len: [9], trunk: '0', name: 'French' },
    DE: { cc: '49', len: [10, 11], trunk: '0', name: 'German' },
    ES: { cc: '34', len: [9], name: 'Spanish' },
    IT: { cc: '39', len: [9, 10], name: 'Italian' },
    NL: { cc: '31', len: [9], trunk: '0', name: 'Dutch' },
    MX: { cc: '52', len: [10], name: 'Mexican' }
  };
  var configs = {};
  var count = 0;

  function text(root, key, fallback, values) {
    var s = root.getAttribute('data-t-' + key) || fallback;
    return s.replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? values[name] : all;
    });
  }

  function remembered() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || '{}') || {}; } catch (e) { return {}; }
  }

  function remember(what) {
    try {
      var state = remembered();
      state[what] = Date.now();
      localStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) { /* storage off (private mode): the popup may show again, nothing worse */ }
  }

  function fetchConfig(proxy) {
    if (!configs[proxy]) {
      configs[proxy] = fetch(proxy + '/config', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { if (!r.ok) throw new Error('config: HTTP ' + r.status); return r.json(); });
    }
    return configs[proxy];
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* {ok, e164} or {ok: false, message, error}: `error` false while the number is merely incomplete (a hint,
   * not a red message, as the shopper types). */
  function check(root, raw, country, allowed) {
    var rule = COUNTRIES[country] || { len: null, name: country };
    var v = raw.replace(/[\s().\-\u2010-\u2015]/g, '');
    if (!v) return { ok: false, message: '', error: false };
    if (!/^\+?\d+$/.test(v)) return { ok: false, error: true, message: text(root, 'digits-only', 'Use digits only.') };
    var national = v;
    if (v.charAt(0) === '+') {
      var intl = v.slice(1);
      if (rule.cc && intl.indexOf(rule.cc) === 0) {
        national = intl.slice(rule.cc.length);
      } else if (rule.cc) {
        return { ok: false, error: intl.length > 3, message: intl.length > 3
          ? text(root, 'other-country', 'We text numbers in {countries} only.', { countries: allowed.join(', ') }) : '' };
      } else {
        var ok = intl.length >= 8 && intl.length <= 15;
        return ok ? { ok: true, e164: v } : { ok: false, error: intl.length > 15, message: '' };
      }
    } else if (rule.nanp && v.length === 11 && v.charAt(0) === '1') {
      national = v.slice(1);
    } else if (rule.trunk && v.charAt(0) === rule.trunk) {
      national = v.slice(1);
    }
    if (!rule.len) return { ok: false, error: true, message: text(root, 'other-country', 'We text numbers in {countries} only.', { countries: allowed.join(', ') }) };
    var want = rule.len[0], most = rule.len[rule.len.length - 1];
    if (national.length < want) {
      return { ok: false, error: false, message: text(root, 'too-short', 'Enter {count} digits ({typed} so far).', { count: want, typed: national.length }) };
    }
    if (national.length > most) {
      return { ok: false, error: true, message: text(root, 'too-long', 'That is too many digits for a {country} number.', { country: rule.name }) };
    }
    if (rule.nanp && !/^[2-9]\d\d[2-9]\d{6}$/.test(national)) {
      return { ok: false, error: true, message: text(root, 'not-valid', 'That is not a valid {country} mobile number.', { country: rule.name }) };
    }
    return { ok: true, e164: '+' + rule.cc + national };
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') node.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  /* The disclosure as text, its Terms and Privacy URLs as links: the element's textContent stays exactly
   * the config's disclosure (what is posted as disclosure_text). */
  function disclosure(id, config) {
    var node = el('span', { id: id, 'class': 'smsflows-disclosure' });
    var rest = config.disclosure;
    var urls = [config.terms_url, config.privacy_url].filter(Boolean);
    while (rest) {
      var at = -1, url = '';
      urls.forEach(function (u) { var i = rest.indexOf(u); if (i >= 0 && (at < 0 || i < at)) { at = i; url = u; } });
      if (at < 0 || !/^https?:\/\//.test(url)) { node.appendChild(document.createTextNode(rest)); break; }
      node.appendChild(document.createTextNode(rest.slice(0, at)));
      node.appendChild(el('a', { href: url, target: '_blank', rel: 'noopener', text: url }));
      rest = rest.slice(at + url.length);
    }
    return node;
  }

  function national(e164) {
    var m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
    return m ? '(' + m[1] + ') ' + m[2] + '-' + m[3] : e164;
  }

  function mobile() {
    return window.matchMedia && (matchMedia('(pointer: coarse)').matches || matchMedia('(max-width: 640px)').matches);
  }

  function form(root, config, done) {
    var id = 'smsflows-' + (++count);
    var proxy = root.getAttribute('data-proxy') || '/apps/sms';
    var countries = (config.countries && config.countries.length ? config.countries : [config.default_country || 'US']);
    var country = countries.indexOf(config.default_country) >= 0 ? config.default_country : countries[0];
    var heading = root.getAttribute('data-heading');
    var sub = root.getAttribute('data-subheading');
    var status = el('p', { id: id + '-status', 'class': 'smsflows-status', role: 'status', 'aria-live': 'polite' });
    var hint = el('p', { id: id + '-hint', 'class': 'smsflows-hint', 'aria-live': 'polite' });
    var phone = el('input', { id: id + '-phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel',
      required: true, 'aria-describedby': id + '-hint', placeholder: country === 'US' ? '(512) 555-0123' : '' });
    var select = countries.length > 1 ? el('select', { id: id + '-country', name: 'country', 'aria-label': 'Country' },
      countries.map(function (c) { return el('option', { value: c, selected: c === country, text: c }); })) : null;
    var box = el('input', { id: id + '-consent', name: 'consent', type: 'checkbox', 'aria-describedby': id + '-disclosure' });
    var shown = disclosure(id + '-disclosure', config);
    var button = el('button', { type: 'submit', 'class': 'smsflows-submit', disabled: true, text: text(root, 'submit', 'Sign up for texts') });
    var twoTap = null;
    if (config.number && config.keyword && root.getAttribute('data-two-tap') !== 'false' && mobile()) {
      // `sms:<number>?&body=<text>`: iOS reads the body after "&", Android after "?"; "?&body=" satisfies
      // both (Android sees an empty first parameter, iOS the body), where "?body=" fails on older iOS and
      // "&body=" on Android. Two taps: this link, then Send; the keyword path records the opt-in.
      twoTap = el('a', { 'class': 'smsflows-two-tap', href: 'sms:' + config.number + '?&body=' + encodeURIComponent(config.keyword),
        text: text(root, 'two-tap', 'Text {keyword} to {number}', { keyword: config.keyword, number: national(config.number) }) });
    }
    var f = el('form', { 'class': 'smsflows-form', novalidate: true }, [
      el('label', { 'for': id + '-phone', 'class': 'smsflows-label', text: text(root, 'phone-label', 'Mobile number') }),
      el('div', { 'class': 'smsflows-row' }, [select, phone]),
      hint,
      el('div', { 'class': 'smsflows-consent' }, [box, el('label', { 'for': id + '-consent' }, [shown])]),
      button
    ]);
    var last = null;

    function update(final) {
      var c = check(root, phone.value, select ? select.value : country, countries);
      var showError = c.error || (final && !c.ok && phone.value);
      hint.textContent = c.ok ? '' : c.message;
      hint.classList.toggle('smsflows-error', !!showError);
      phone.setAttribute('aria-invalid', showError ? 'true' : 'false');
      button.disabled = !(c.ok && box.checked);
      return c;
    }
    phone.addEventListener('input', function () { update(false); });
    phone.addEventListener('blur', function () { update(true); });
    box.addEventListener('change', function () { update(false); });
    if (select) select.addEventListener('change', function () { update(false); });

    f.addEventListener('submit', function (event) {
      event.preventDefault();
      var c = update(true);
      if (!c.ok || !box.checked) { if (c.ok) status.textContent = text(root, 'tick', 'Tick the box to agree to receive texts.'); return; }
      if (!last || last.phone !== c.e164) last = { phone: c.e164, id: uuid() };  // a retry keeps its id
      button.disabled = true;
      button.textContent = text(root, 'sending', 'Signing up…');
      status.textContent = '';
      var body = {
        phone: c.e164,
        country: select ? select.value : country,
        consent: { checked: true, default_checked: false, disclosure_text: shown.textContent },
        page_url: location.href.slice(0, 500),
        submission_id: last.id,
        locale: (document.documentElement.lang || navigator.language || '').slice(0, 20) || undefined
      };
      fetch(proxy + '/subscribe', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (answer) { return { r: r, answer: answer }; });
        })
        .then(function (res) {
          var r = res.r, answer = res.answer;
          if (r.status === 202 || r.status === 200) {
            visitor(root, c.e164);
            remember('signed_up');
            var message = text(root, answer.status === 'already_subscribed' ? 'already' : 'pending',
              answer.status === 'already_subscribed' ? "You're already subscribed to our texts." : 'Check your phone: reply Y to confirm.');
            var shownDone = el('p', { 'class': 'smsflows-done', tabindex: '-1', text: message });
            f.replaceWith(shownDone);
            if (twoTap) twoTap.parentNode.removeChild(twoTap);
            shownDone.focus();
            document.dispatchEvent(new CustomEvent('smsflows:signed-up', { detail: { status: answer.status } }));
            if (done) done();
            return;
          }
          var why = answer.error || answer.message || text(root, 'error', 'That did not work. Please try again.');
          if (r.status === 429) {
            var wait = parseInt(r.headers.get('Retry-After') || '', 10);
            why = text(root, 'error', 'That did not work. Please try again.') + (wait ? ' (' + Math.ceil(wait / 60) + ' min)' : '');
          }
          throw new Error(why);
        })
        .catch(function (e) {
          status.textContent = e && e.message && !/fetch|network/i.test(e.message) ? e.message : text(root, 'error', 'That did not work. Please try again.');
          status.classList.add('smsflows-error');
          button.textContent = text(root, 'submit', 'Sign up for texts');
          update(false);
        });
    });

    var parts = [
      heading ? el('h2', { id: id + '-title', 'class': 'smsflows-title', text: heading }) : null,
      sub ? el('p', { 'class': 'smsflows-sub', text: sub }) : null
    ];
    if (twoTap) parts.push(twoTap, el('p', { 'class': 'smsflows-or', text: text(root, 'or', 'or') }));
    parts.push(f, status);
    return { id: id, nodes: parts, phone: phone };
  }

  /* Shopify's Visitor API (Built for Shopify: a form app logs its sign-ups): on the online store it is
   * Shopify.analytics.visitor({email?, phone?}, {appId}), returning true or false; absent on other pages. */
  function visitor(root, e164) {
    try {
      var analytics = window.Shopify && window.Shopify.analytics;
      if (analytics && typeof analytics.visitor === 'function') {
        analytics.visitor({ phone: e164 }, { appId: root.getAttribute('data-app-id') || 'smsflows' });
      }
    } catch (e) { /* a rejected payload must not break the sign-up */ }
  }

  function inline(root, config) {
    var built = form(root, config);
    root.textContent = '';
    built.nodes.forEach(function (n) { if (n) root.appendChild(n); });
    root.classList.add('smsflows-ready');
  }

  function popup(root, config) {
    var seen = remembered();
    var days = parseFloat(root.getAttribute('data-dismiss-days') || '14');
    if (seen.signed_up || (seen.dismissed && Date.now() - seen.dismissed < days * DAY_MS)) {
      root.setAttribute('data-smsflows-skipped', seen.signed_up ? 'signed-up' : 'dismissed');
      return;
    }
    var delay = parseFloat(root.getAttribute('data-delay') || '5');
    setTimeout(function () { open(root, config); }, Math.max(0, delay) * 1000);
  }

  function open(root, config) {
    var before = document.activeElement;
    var built = form(root, config, function () { setTimeout(close, 4000); });
    var closeButton = el('button', { type: 'button', 'class': 'smsflows-close', 'aria-label': text(root, 'close', 'Close'), text: '\u00d7' });
    var dialog = el('div', { 'class': 'smsflows-dialog', role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': root.getAttribute('data-heading') ? built.id + '-title' : null, 'aria-label': root.getAttribute('data-heading') ? null : 'SMS sign-up' },
      [closeButton].concat(built.nodes));
    var overlay = el('div', { 'class': 'smsflows-overlay' }, [dialog]);
    var closed = false;

    function close() {
      if (closed) return;
      closed = true;
      document.removeEventListener('keydown', keys, true);
      overlay.parentNode && overlay.parentNode.removeChild(overlay);
      if (!remembered().signed_up) remember('dismissed');
      if (before && before.focus) before.focus();
    }
    function keys(event) {
      if (event.key === 'Escape') { event.preventDefault(); close(); return; }
      if (event.key !== 'Tab') return;
      var focusable = Array.prototype.filter.call(
        dialog.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select, [tabindex="0"]'),
        function (n) { return n.offsetParent !== null; });
      if (!focusable.length) return;
      var first = focusable[0], lastOne = focusable[focusable.length - 1];
      if (!dialog.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
      else if (event.shiftKey && document.activeElement === first) { event.preventDefault(); lastOne.focus(); }
      else if (!event.shiftKey && document.activeElement === lastOne) { event.preventDefault(); first.focus(); }
    }
    closeButton.addEventListener('click', close);
    overlay.addEventListener('click', function (event) { if (event.target === overlay) close(); });
    document.addEventListener('keydown', keys, true);
    document.body.appendChild(overlay);
    built.phone.focus();
  }

  function start(root) {
    if (root.getAttribute('data-smsflows-ready')) return;
    root.setAttribute('data-smsflows-ready', 'true');
    var mode = root.getAttribute('data-smsflows-optin');
    fetchConfig(root.getAttribute('data-proxy') || '/apps/sms').then(function (config) {
      if (!config || !config.disclosure) throw new Error('no disclosure in the config');
      if (mode === 'inline') inline(root, config); else popup(root, config);
    }).catch(function () {
      // the shop texts nobody now (404) or the proxy is down: show nothing rather than a form that cannot work
      if (mode === 'inline') root.classList.add('smsflows-off');
    });
  }

  function all() { Array.prototype.forEach.call(document.querySelectorAll('[data-smsflows-optin]'), start); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', all); else all();
  // the theme editor re-renders a block in place when the merchant changes a setting
  document.addEventListener('shopify:section:load', all);
})();
