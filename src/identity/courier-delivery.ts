import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { AddressRanges } from '../platform/net/cidr.js';
import { guardedLookup, resolveOutbound } from '../platform/net/outbound.js';
import type { HttpSettings, SmtpSettings } from './courier-config.js';

/** What leaves: one message to one recipient. */
export interface Outgoing {
  recipient: string;
  subject: string;
  body: string;
  html: string | null;
  template_type: string;
}

/** How long one delivery attempt may take before it counts as failed. */
const TIMEOUT_MS = 15_000;

/**
 * Sends one mail through the project's SMTP server with nodemailer: STARTTLS is required unless the
 * connection URI says `disable_starttls=true`, `smtps://` is TLS from the first byte, and the
 * server's certificate is checked against the configured host name unless `skip_ssl_verify=true`.
 * The host is resolved through the SSRF guard and the connection made to the address it allowed.
 */
export async function sendSmtp(s: SmtpSettings, msg: Outgoing, allow: AddressRanges | null): Promise<void> {
  const { address } = await resolveOutbound(s.host, allow);
  const transport = nodemailer.createTransport({
    host: address,
    port: s.port,
    secure: s.implicitTls,
    requireTLS: s.startTls,
    ignoreTLS: !s.implicitTls && !s.startTls,
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    ...(s.localName ? { name: s.localName } : {}),
    tls: { rejectUnauthorized: !s.skipVerify, ...(isIP(s.host) ? {} : { servername: s.host }) },
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    logger: false,
  });
  try {
    await transport.sendMail({
      from: s.fromName ? { name: s.fromName, address: s.fromAddress } : s.fromAddress,
      to: msg.recipient,
      subject: msg.subject,
      text: msg.body,
      ...(msg.html ? { html: msg.html } : {}),
      headers: s.headers,
    });
  } finally {
    transport.close();
  }
}

/**
 * Posts one message to the project's HTTP endpoint, as Kratos's `http` strategy does with its
 * default body: `{recipient, template_type, to, subject, body}` as JSON. Any answer outside 2xx is a
 * failure (retried); the endpoint's address goes through the SSRF guard.
 */
export function sendHttp(h: HttpSettings, msg: Outgoing, allow: AddressRanges | null): Promise<void> {
  const payload = JSON.stringify({ recipient: msg.recipient, template_type: msg.template_type, to: msg.recipient, subject: msg.subject, body: msg.body });
  const headers: Record<string, string> = { ...h.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), 'user-agent': 'Gatehouse courier' };
  if (h.auth?.type === 'basic_auth') headers.authorization = `Basic ${Buffer.from(`${h.auth.user}:${h.auth.password}`).toString('base64')}`;
  else if (h.auth?.type === 'api_key' && h.auth.in === 'header') headers[h.auth.name.toLowerCase()] = h.auth.value;
  else if (h.auth?.type === 'api_key') headers.cookie = `${h.auth.name}=${h.auth.value}`;
  const send = h.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(h.url, { method: h.method, headers, lookup: guardedLookup(allow), timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`the endpoint answered ${status}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
