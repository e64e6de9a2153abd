import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { Subscription } from 'rxjs';
import type { Observable } from 'rxjs';
import { Limits, type InternalTopics, type Principal, type SecurityPolicy } from '../auth/index.ts';
import { LimitExceededError, PermissionDeniedError, SluiceError, UnauthenticatedError } from '../contracts/index.ts';
import { ACCESS, type Access } from './access.ts';
import type { HandlerContext } from './handlers/context.ts';
import { reportError } from './handlers/report.ts';

/** What the guard needs to know of a session: the core's view, without the core. */
export interface SessionView {
  topic: string;
  group: string;
  owner: string | undefined;
}

export interface GuardOptions {
  internalTopics: InternalTopics;
  /** Absent: authentication and authorization are off (internal topics are still refused). */
  policy?: SecurityPolicy | undefined;
  /** Reloaded policies (file change, SIGHUP). */
  policyUpdates?: Observable<SecurityPolicy> | undefined;
  session(id: string): SessionView | undefined;
}

interface OpenStream {
  principal: Principal;
  access: Access;
  session: SessionView | undefined;
  revoke(err: SluiceError): void;
}

type Call = ServerUnaryCall<unknown, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- grpc-js handler shapes differ per method kind
type Handler = (...args: any[]) => void;

const principals = new WeakMap<object, Principal>();

/** The principal the guard admitted for this call; undefined when authentication is off. */
export function principalOf(call: object): Principal | undefined {
  return principals.get(call);
}

/**
 * The one gRPC adapter for access control: per call (never per record) it
 * refuses internal topics, authenticates, authorizes every (action, resource)
 * of the method's line in ACCESS, applies the principal's limits, and keeps
 * open streams so a reloaded policy can end the ones it no longer allows.
 */
export class Guard {
  private policy: SecurityPolicy | undefined;
  private readonly limits: Limits | undefined;
  private readonly open = new Set<OpenStream>();
  private readonly updates: Subscription | undefined;

  constructor(
    private readonly options: GuardOptions,
    private readonly context: HandlerContext,
  ) {
    this.policy = options.policy;
    if (this.policy !== undefined) {
      const current = () => this.policy!;
      this.limits = new Limits((id) => current().limitsFor(id));
    }
    this.updates = options.policyUpdates?.subscribe((policy) => this.apply(policy));
  }

  /** The policy in force; undefined when authentication is off. */
  get currentPolicy(): SecurityPolicy | undefined {
    return this.policy;
  }

  close(): void {
    this.updates?.unsubscribe();
  }

  /** Wraps every handler of a service implementation, by method name. */
  wrap(implementation: Record<string, Handler>): Record<string, Handler> {
    return Object.fromEntries(
      Object.entries(implementation).map(([method, handler]) => [method, handler.length >= 2 ? this.unary(method, handler) : this.stream(method, handler)]),
    );
  }

  /** Authenticates a call to another service (health, reflection) when the policy says it is not public. */
  async authenticateOnly(metadata: Metadata, call: { getAuthContext(): AuthContext }): Promise<void> {
    if (this.policy === undefined) return;
    try {
      await this.policy.authenticator.authenticate({ authorization: metadata.get('authorization'), peerCertificate: call.getAuthContext().sslPeerCertificate });
    } catch (err) {
      this.context.metrics.denials.inc({ reason: denialReason(err) });
      throw err;
    }
  }

  private unary(method: string, handler: Handler): Handler {
    return (call: Call, callback: (err: unknown) => void) => {
      this.admit(method, call).then(
        () => handler(call, callback),
        (err: unknown) => callback(this.deny(method, err)),
      );
    };
  }

  private stream(method: string, handler: Handler): Handler {
    return (call: Call) => {
      this.admit(method, call).then(
        (stream) => {
          if (stream !== undefined) {
            stream.revoke = (err) => {
              // 'cancelled' first: the handler stops writing and releases what it holds, then the status goes out.
              call.emit('cancelled', 'permission revoked');
              call.emit('error', this.deny(method, err));
            };
            this.open.add(stream);
            const done = () => this.open.delete(stream);
            call.once('cancelled', done);
            call.once('finish', done);
          }
          handler(call);
        },
        (err: unknown) => call.emit('error', this.deny(method, err)),
      );
    };
  }

  private deny(method: string, err: unknown) {
    this.context.metrics.denials.inc({ reason: denialReason(err) });
    return reportError(this.context, method, err);
  }

  /** Throws the typed error that refuses the call; returns the stream to watch for revocation. */
  private async admit(method: string, call: Call): Promise<OpenStream | undefined> {
    const describe = ACCESS[method];
    const policy = this.policy;
    if (describe === undefined) {
      if (policy !== undefined) throw new PermissionDeniedError('call', `method ${method} (no access rule)`);
      return undefined;
    }
    const access = describe(call.request);
    for (const check of access.checks) this.options.internalTopics.check(check.topic.field, check.topic.name);
    if (policy === undefined || this.limits === undefined) return undefined;

    const principal = await policy.authenticator.authenticate({
      authorization: call.metadata.get('authorization'),
      peerCertificate: call.getAuthContext().sslPeerCertificate,
    });
    principals.set(call, principal);
    const session = access.session === undefined ? undefined : this.options.session(access.session.id);
    authorize(policy, principal, access, session);
    if (access.records !== undefined) this.limits.takePublish(principal.id, access.records);
    if (access.stream === undefined) return undefined;
    const release = this.limits.openStream(principal.id, access.stream);
    call.once('cancelled', release);
    call.once('finish', release);
    return { principal, access, session, revoke: () => undefined };
  }

  private apply(policy: SecurityPolicy): void {
    if (this.policy === undefined) return; // off stays off: turning security on needs a restart
    this.policy = policy;
    this.context.logger.info({ openStreams: this.open.size }, 'security file reloaded');
    this.limits?.update((id) => policy.limitsFor(id));
    for (const stream of [...this.open]) {
      try {
        authorize(policy, stream.principal, stream.access, stream.session);
      } catch (err) {
        this.open.delete(stream);
        stream.revoke(err as SluiceError);
      }
    }
  }
}

function authorize(policy: SecurityPolicy, principal: Principal, access: Access, session: SessionView | undefined): void {
  for (const check of access.checks) policy.rules.require(principal, check.action, check.topic.name, check.group?.name);
  if (access.session !== undefined && session !== undefined) {
    // One principal never touches another's session, whatever the rules grant.
    if (session.owner !== undefined && session.owner !== principal.id) {
      throw new PermissionDeniedError(access.session.action, `session "${access.session.id}" (it belongs to another principal)`);
    }
    policy.rules.require(principal, access.session.action, session.topic, session.group);
  }
}

/** A bounded label for metrics: never a token, a key or a principal. */
function denialReason(err: unknown): string {
  if (err instanceof UnauthenticatedError) return err.reason;
  if (err instanceof PermissionDeniedError) return 'permission_denied';
  if (err instanceof LimitExceededError) return `limit_${err.limit}`;
  if (err instanceof SluiceError && err.code === 'INVALID_ARGUMENT') return 'invalid_argument';
  return 'other';
}
