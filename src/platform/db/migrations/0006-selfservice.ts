import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.
// Reserved for its domain's first tables; empty until that domain lands.

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
