// The dev-idp's demo users (crates/dev-idp/src/users.rs): the same ids, names and password, so
// that the demo accounts service knows them.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The password of every demo user. */
export const PASSWORD = 'demo';

export const USERS = [
  { id: 'demo-user-1', username: 'ada', name: 'Ada Lovelace', email: 'ada@example.test' },
  { id: 'demo-user-2', username: 'grace', name: 'Grace Hopper', email: 'grace@example.test' },
  { id: 'demo-user-3', username: 'alan', name: 'Alan Turing', email: 'alan@example.test' },
];

const digest = (text) => createHash('sha256').update(String(text)).digest();

/** The user whose username (or id) and password these are, or undefined. */
export function authenticate(username, password) {
  const user = USERS.find((u) => u.username === username || u.id === username);
  // Compared in constant time, and compared even for an unknown user.
  const matches = timingSafeEqual(digest(password), digest(PASSWORD));
  return user && matches ? user : undefined;
}

/** oidc-provider's `findAccount`: the account and its claims. */
export async function findAccount(_ctx, id) {
  const user = USERS.find((u) => u.id === id);
  if (!user) return undefined;
  return {
    accountId: user.id,
    async claims() {
      return {
        sub: user.id,
        name: user.name,
        preferred_username: user.username,
        email: user.email,
        email_verified: true,
      };
    },
  };
}
