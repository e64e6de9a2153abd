export const ACTIONS = ['publish', 'subscribe', 'ack', 'read-offsets'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Who is calling. `id` is `jwt:<claim>`, `key:<api key name>` or
 * `cert:<certificate name>`; it owns sessions and keys the limits. `names`
 * holds every name rules may match (a certificate has its CN and its SANs).
 */
export interface Principal {
  id: string;
  names: readonly string[];
}

/** Everyone, when authentication is off. */
export const ANONYMOUS: Principal = { id: 'anonymous', names: ['anonymous'] };
