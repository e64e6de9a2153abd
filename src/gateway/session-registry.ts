import { NotFoundError } from '../contracts/index.ts';
import type { Session } from './session.ts';

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  add(session: Session): void {
    this.sessions.set(session.id, session);
  }

  remove(session: Session): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  get(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new NotFoundError(`session "${sessionId}" is unknown: it never existed or its Subscribe stream has ended`);
    return session;
  }

  find(sessionId: string): Session | undefined {
    return this.sessions.get(sessionId);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }
}
