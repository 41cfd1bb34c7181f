// Tables of the selfservice domain, merged into the typed Database (src/platform/db/schema.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SelfServiceTables {}
