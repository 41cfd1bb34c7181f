import { createHash } from 'node:crypto';

// `/.well-known/ory/webauthn.js`: the browser half of the WebAuthn methods. A form rendered from a
// flow's nodes calls these functions from its buttons (`onclick` / `onclickTrigger`); each reads the
// options the flow put in its nodes, asks the authenticator (`navigator.credentials.create/get`),
// writes the answer as JSON into the flow's hidden field and submits the form. The names are
// Kratos's, so Ory's UIs work unchanged. `window.oryWebAuthn.{create,get}` expose the two ceremonies
// for apps that render their own forms.

export const WEBAUTHN_JS = `(function () {
  'use strict';
  if (window.oryWebAuthn) return;
  function toBytes(s) {
    var b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toText(buf) {
    if (!buf) return undefined;
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function parse(options) {
    var o = typeof options === 'string' ? JSON.parse(options) : JSON.parse(JSON.stringify(options));
    return o && o.publicKey ? o.publicKey : o;
  }
  function ids(list) {
    return (list || []).map(function (c) { var d = Object.assign({}, c); d.id = toBytes(c.id); return d; });
  }
  function create(options) {
    var pk = parse(options);
    pk.challenge = toBytes(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBytes(pk.user.id) });
    pk.excludeCredentials = ids(pk.excludeCredentials);
    return navigator.credentials.create({ publicKey: pk }).then(function (c) {
      return JSON.stringify({
        id: c.id, rawId: toText(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
        response: {
          clientDataJSON: toText(c.response.clientDataJSON),
          attestationObject: toText(c.response.attestationObject),
          transports: c.response.getTransports ? c.response.getTransports() : []
        },
        clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
      });
    });
  }
  function get(options, mediation, signal) {
    var pk = parse(options);
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = ids(pk.allowCredentials);
    var request = { publicKey: pk };
    if (mediation) request.mediation = mediation;
    if (signal) request.signal = signal;
    return navigator.credentials.get(request).then(function (c) {
      return JSON.stringify({
        id: c.id, rawId: toText(c.rawId), type: c.type,
        response: {
          clientDataJSON: toText(c.response.clientDataJSON),
          authenticatorData: toText(c.response.authenticatorData),
          signature: toText(c.response.signature),
          userHandle: toText(c.response.userHandle)
        },
        clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
      });
    });
  }
  function field(name) { return document.querySelector('[name="' + name + '"]'); }
  function valueOf(name) { var el = field(name); return el ? el.value : ''; }
  function fill(name, value) {
    var el = field(name);
    if (!el) throw new Error('This form has no field ' + name + '.');
    el.value = value;
    var form = el.form || el.closest('form');
    if (form) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
  }
  function fail(err) { if (window.console) console.error('WebAuthn did not complete:', err); }
  var pending;
  function abortAutocomplete() { if (pending) { pending.abort(); pending = undefined; } }
  window.oryWebAuthn = { create: create, get: get };
  window.oryWebAuthnRegistration = function (options) {
    abortAutocomplete();
    return create(options || valueOf('webauthn_register_trigger')).then(function (json) { fill('webauthn_register', json); }, fail);
  };
  window.oryWebAuthnLogin = function (options) {
    abortAutocomplete();
    return get(options || valueOf('webauthn_login_trigger')).then(function (json) { fill('webauthn_login', json); }, fail);
  };
  window.oryPasskeyLogin = function () {
    abortAutocomplete();
    return get(valueOf('passkey_challenge')).then(function (json) { fill('passkey_login', json); }, fail);
  };
  window.oryPasskeyLoginAutocompleteInit = function () {
    if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok || !valueOf('passkey_challenge')) return;
      pending = new AbortController();
      get(valueOf('passkey_challenge'), 'conditional', pending.signal).then(function (json) { fill('passkey_login', json); }, function () {});
    });
  };
  function passkeyCreate(target) {
    abortAutocomplete();
    var o = parse(valueOf('passkey_create_data'));
    var id = document.querySelector('[name="traits.email"],[name="traits.username"],[name="identifier"]');
    if (id && id.value) o.user = Object.assign({}, o.user, { name: id.value, displayName: id.value });
    return create(o).then(function (json) { fill(target, json); }, fail);
  }
  window.oryPasskeyRegistration = function () { return passkeyCreate('passkey_register'); };
  window.oryPasskeySettingsRegistration = function () { return passkeyCreate('passkey_settings_register'); };
  window.__oryWebAuthnRegistration = window.oryWebAuthnRegistration;
  window.__oryWebAuthnLogin = window.oryWebAuthnLogin;
  window.__oryPasskeyLogin = window.oryPasskeyLogin;
  window.__oryPasskeyLoginAutocompleteInit = window.oryPasskeyLoginAutocompleteInit;
  window.__oryPasskeyRegistration = window.oryPasskeyRegistration;
  window.__oryPasskeySettingsRegistration = window.oryPasskeySettingsRegistration;
})();
`;

/** The script's subresource integrity (`sha512-...`), as the script node carries it. */
export const WEBAUTHN_JS_INTEGRITY = `sha512-${createHash('sha512').update(WEBAUTHN_JS).digest('base64')}`;
