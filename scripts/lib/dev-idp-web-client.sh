# Sourced by the scripts that run dev-idp with a configuration file (redirect URIs are lists,
# which only a file can set).

# Prints dev-idp's `[clients.web]` table for a bff-web reached at BASE_URL: its credentials, the
# callback and the page after logout under BASE_URL, and the audiences its tokens carry.
dev_idp_web_client() { # BASE_URL
  cat <<TOML
[clients.web]
client_id = "bff-web"
secret = "dev-secret-change-me"
redirect_uris = ["$1/auth/callback"]
post_logout_redirect_uris = ["$1/"]
audiences = ["bff-web", "accounts", "recommendations"]
TOML
}
