"""Seals a Sealwire request, and opens its sealed response, with python-jwcrypto,
an independent JOSE library.

stdin, to seal: {"jwk": <server public JWK>, "header": {...protected header...}, "plaintext": "...",
                 "epkExtras": {...members added to the epk, as some libraries send them...}}
stdout: the JWE compact serialization.

stdin, to open a response: {"open": <compact JWE>, "rk": <b64u response key>}
stdout: {"header": {...}, "plaintext": "..."[, "head": {...}]}
  "head": the response header fields sealed in the protected header's "shd" member
  (a compact JWE of its own under the same rk), when the answer carries one.

A sealed-head request (crit: ["shd"]) needs nothing special: jwcrypto checks crit
when it decrypts, not when it encrypts; the caller puts shd and crit in the header
and hdr/qry in the plaintext.

Run with the system interpreter (/usr/bin/python3) and Debian's python3-jwcrypto.
"""
import json
import sys

from jwcrypto import jwa, jwe, jwk

request = json.load(sys.stdin)

if 'open' in request:
    token = jwe.JWE(algs=['dir', 'A256GCM'])
    key = jwk.JWK(kty='oct', k=request['rk'])
    token.deserialize(request['open'], key)
    header = json.loads(token.objects['protected'])
    opened = {'header': header, 'plaintext': token.payload.decode('utf-8')}
    if 'shd' in header:
        head = jwe.JWE(algs=['dir', 'A256GCM'])
        head.deserialize(header['shd'], key)
        opened['head'] = json.loads(head.payload.decode('utf-8'))
    json.dump(opened, sys.stdout)
    sys.exit(0)

extras = request.get('epkExtras') or {}

if extras:
    # jwcrypto writes the epk itself (kty, crv, x[, y]); add the extra public
    # members other libraries send, so the server sees them in the protected header.
    wrap = jwa._EcdhEs.wrap

    def wrap_with_extras(self, key, bitsize, cek, headers):
        out = wrap(self, key, bitsize, cek, headers)
        out['header']['epk'].update(extras)
        return out

    jwa._EcdhEs.wrap = wrap_with_extras

token = jwe.JWE(request['plaintext'].encode('utf-8'), protected=json.dumps(request['header']))
token.add_recipient(jwk.JWK(**request['jwk']))
sys.stdout.write(token.serialize(compact=True))
