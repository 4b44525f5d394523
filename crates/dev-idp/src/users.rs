//! The demo users: fixed, the same on every machine. Their password is [`PASSWORD`].
//!
//! The `sub` claim is the user id (`demo-user-1` ...): the accounts demo service keys its data
//! by it.

/// One demo user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    /// The `sub` claim.
    pub id: &'static str,
    /// What the user types on the login page; `preferred_username`.
    pub username: &'static str,
    /// The `name` claim.
    pub name: &'static str,
    /// The `email` claim.
    pub email: &'static str,
}

/// The password of every demo user.
pub const PASSWORD: &str = "demo";

/// All demo users, in the order the login page lists them.
pub const USERS: [User; 3] = [
    User {
        id: "demo-user-1",
        username: "ada",
        name: "Ada Lovelace",
        email: "ada@example.test",
    },
    User {
        id: "demo-user-2",
        username: "grace",
        name: "Grace Hopper",
        email: "grace@example.test",
    },
    User {
        id: "demo-user-3",
        username: "alan",
        name: "Alan Turing",
        email: "alan@example.test",
    },
];

/// The user with this id (`demo-user-1`) or username (`ada`).
pub fn find(id_or_username: &str) -> Option<&'static User> {
    USERS
        .iter()
        .find(|u| u.id == id_or_username || u.username == id_or_username)
}

/// The user with this id (the `sub` claim).
pub fn by_id(id: &str) -> Option<&'static User> {
    USERS.iter().find(|u| u.id == id)
}
