import type { Database } from '../database.js';
import type { ProjectScope } from '../platform/db/scoped.js';

/** A stored error of a browser flow, as `GET /self-service/errors` shows it. */
export interface StoredFlowError {
  id: string;
  error: unknown;
  created_at: string;
  updated_at: string;
}

/** Persistence of one project's flow errors (on its scope: another project's error does not exist). */
export class FlowErrorStore {
  constructor(private readonly scope: ProjectScope<Database>) {}

  async insert(id: string, error: unknown, now: string): Promise<void> {
    await this.scope.insertInto('selfservice_errors', { id, error: JSON.stringify(error), created_at: now, updated_at: now }).execute();
  }

  async get(id: string): Promise<StoredFlowError | null> {
    const row = await this.scope.selectFrom('selfservice_errors').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, error: JSON.parse(row.error), created_at: row.created_at, updated_at: row.updated_at } : null;
  }
}
