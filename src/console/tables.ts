// Tables of the console domain, merged into the typed Database (src/database.ts).

/** A signed-in console user. `token_hash` is HMAC-SHA256(server secret, session token); the token is only in the cookie. */
export interface ConsoleSessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
}

export interface ConsoleTables {
  console_sessions: ConsoleSessionsTable;
}
