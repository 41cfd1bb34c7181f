// Tables of the identity domain, merged into the typed Database (src/platform/db/schema.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IdentityTables {}
