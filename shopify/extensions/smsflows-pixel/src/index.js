// smsflows web pixel: forwards product_viewed and checkout_started to the storefront-events endpoint
// (Contract: {v: 1, shop, name, id, client_id, timestamp, customer_id, product, checkout}). Runs in Shopify's
// strict sandbox: no DOM, only the event objects and `browser`. The endpoint trusts none of it by itself:
// it texts only a customer it already knows as subscribed, once per product per day.
import {register} from "@shopify/web-pixels-extension";

const MAX_TEXT = 500;

function clip(value) {
  return value == null ? null : String(value).slice(0, MAX_TEXT);
}

function absolute(url, origin) {
  if (!url) return null;
  try {
    return new URL(url, origin).href.slice(0, MAX_TEXT);
  } catch (e) {
    return null;
  }
}

register(({analytics, browser, init, settings}) => {
  const endpoint = settings && settings.endpoint;
  if (!endpoint) return; // not activated with an endpoint (webPixelCreate settings): send nothing
  const shop = init.data.shop.myshopifyDomain;
  // null for an anonymous visitor, and also without the protected customer data scopes; the id may be a
  // number as a string or a gid://shopify/Customer/... (the backend accepts both).
  const customer = init.data.customer;
  const customerId = customer && customer.id != null ? String(customer.id) : null;
  const origin = init.context.document.location.origin;

  function send(event, product, checkout) {
    const body = JSON.stringify({
      v: 1,
      shop,
      name: event.name,
      id: String(event.id),
      client_id: String(event.clientId),
      timestamp: event.timestamp,
      customer_id: customerId,
      product,
      checkout,
    });
    // A string body goes as text/plain;charset=UTF-8, a CORS-safelisted type: no preflight, and a beacon
    // survives the page being left (the product page is often left at once).
    Promise.resolve(browser.sendBeacon(endpoint, body))
      .then((queued) => {
        if (!queued) throw new Error("beacon refused");
      })
      .catch(() =>
        fetch(endpoint, {
          method: "POST",
          body,
          keepalive: true,
          headers: {"Content-Type": "text/plain;charset=UTF-8"},
        }).catch(() => {}),
      );
  }

  analytics.subscribe("product_viewed", (event) => {
    const variant = event.data && event.data.productVariant;
    if (!variant || !variant.product) return;
    send(
      event,
      {
        id: clip(variant.product.id),
        variant_id: clip(variant.id),
        title: clip(variant.product.title),
        url: absolute(variant.product.url, origin),
      },
      null,
    );
  });

  analytics.subscribe("checkout_started", (event) => {
    const checkout = event.data && event.data.checkout;
    if (!checkout || !checkout.token) return;
    send(event, null, {token: clip(checkout.token)});
  });
});
