/**
 * Security headers on every answer (the dashboard's HTML above all, and the docs page): a CSP
 * that lets a page load only the agent's own scripts, styles, images and API (no inline script
 * or style, no eval, no other origin, no framing), X-Frame-Options DENY, nosniff and
 * Referrer-Policy no-referrer (a dashboard URL may carry ?token=). HSTS only over TLS: sent over
 * plain HTTP it would be ignored, and `upgrade-insecure-requests` would break a plain-HTTP
 * dashboard, so it is left out.
 */
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export async function installSecurityHeaders(app: FastifyInstance, options: { tls: boolean }): Promise<void> {
  const self = ["'self'"];
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: self,
        scriptSrc: self,
        styleSrc: self,
        // uPlot's and Swagger UI's stylesheets draw small icons as data: URLs.
        imgSrc: [...self, 'data:'],
        fontSrc: self,
        connectSrc: self,
        objectSrc: ["'none'"],
        baseUri: self,
        formAction: self,
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: options.tls ? { maxAge: 180 * 86_400 } : false,
  });
}
