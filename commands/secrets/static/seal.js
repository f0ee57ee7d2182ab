// platbot's sealing page: encrypts a secret's value in the browser with
// WebCrypto (RSA-OAEP, SHA-256) to the public key the page carries, and
// posts only the ciphertext, in Vault's "vault:v<N>:<base64>" form, to this
// page's own URL. The value never leaves the browser in the clear.
(function () {
  'use strict';

  var form = document.getElementById('seal-form');
  if (!form) {
    return;
  }
  var input = document.getElementById('secret-value');
  var button = document.getElementById('seal-submit');
  var status = document.getElementById('seal-status');
  var counter = document.getElementById('seal-count');
  var max = Number(form.getAttribute('data-max-bytes'));
  var binding = form.getAttribute('data-binding');
  var keyVersion = form.getAttribute('data-key-version');
  var keyB64 = form.getAttribute('data-key');

  function say(text, kind) {
    status.textContent = text;
    status.className = kind;
  }

  function fromBase64(b64) {
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function toBase64(bytes) {
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin);
  }

  function size(value) {
    return new TextEncoder().encode(value).length;
  }

  input.addEventListener('input', function () {
    var n = size(input.value);
    counter.textContent = n + ' / ' + max + ' bytes';
    counter.className = n > max ? 'error' : '';
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = input.value;
    if (value.length === 0) {
      say('Enter the value first.', 'error');
      return;
    }
    if (size(value) > max) {
      say('The value is too long: at most ' + max + ' bytes fit in one encrypted message.', 'error');
      return;
    }
    if (!window.crypto || !window.crypto.subtle) {
      say('This browser cannot encrypt on this page (WebCrypto needs an https page). Nothing was sent.', 'error');
      return;
    }
    var plain = new TextEncoder().encode(binding + '\n' + value);
    button.disabled = true;
    say('Encrypting in your browser…', 'busy');
    window.crypto.subtle.importKey('spki', fromBase64(keyB64), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt'])
      .then(function (key) {
        return window.crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, plain);
      })
      .then(function (encrypted) {
        plain.fill(0);
        say('Sending the encrypted value…', 'busy');
        return fetch(window.location.pathname, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ciphertext: 'vault:v' + keyVersion + ':' + toBase64(new Uint8Array(encrypted)) }),
          credentials: 'omit',
          cache: 'no-store',
          redirect: 'error',
          referrerPolicy: 'no-referrer'
        });
      })
      .then(function (resp) {
        return resp.json().then(function (body) {
          return { ok: resp.ok, body: body };
        });
      })
      .then(function (r) {
        if (r.ok) {
          input.value = '';
          form.parentNode.removeChild(form);
          say(r.body.message, 'ok');
          return;
        }
        button.disabled = false;
        say(r.body.title + '. ' + r.body.message, 'error');
      })
      .catch(function () {
        plain.fill(0);
        button.disabled = false;
        say('Could not encrypt or reach platbot. Nothing was stored; try again.', 'error');
      });
  });
})();
