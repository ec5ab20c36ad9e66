//! Per-RPC access decisions.
//!
//! Every handler starts by saying who may call it, in one line:
//!
//! ```ignore
//! let caller = policy::authenticated(&request)?;              // any signed-in user
//! let caller = policy::role(&request, Role::Admin)?;          // admins
//! let caller = policy::owner_or_admin(&request, &user_id)?;   // the resource's owner or an admin
//! let caller = policy::staff(&request)?;                      // admins and moderators
//! ```
//!
//! Public RPCs simply call none of them. Ownership is decided before the resource is looked up,
//! so a stranger learns PERMISSION_DENIED whether or not the resource exists (AIP-211).

use estospaces_status::ApiError;
use serde::{Deserialize, Serialize};

use crate::DOMAIN;

/// What an account may do on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Guest,
    Host,
    Agent,
    Admin,
    /// Works the moderation queue; cannot grant roles.
    Moderator,
}

impl Role {
    /// The role's lower-case name, as in tokens and databases.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Host => "host",
            Self::Agent => "agent",
            Self::Admin => "admin",
            Self::Moderator => "moderator",
        }
    }

    /// The role named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "guest" => Some(Self::Guest),
            "host" => Some(Self::Host),
            "agent" => Some(Self::Agent),
            "admin" => Some(Self::Admin),
            "moderator" => Some(Self::Moderator),
            _ => None,
        }
    }
}

/// The verified caller of a request, put in its extensions by the auth interceptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's id (the `{user}` of `users/{user}`).
    pub user_id: String,
    pub roles: Vec<Role>,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// Admins and moderators: the staff who work the moderation queue.
    pub fn is_staff(&self) -> bool {
        self.is_admin() || self.has_role(Role::Moderator)
    }
}

/// The caller, if the request carried a valid token.
pub fn caller<T>(request: &tonic::Request<T>) -> Option<&Caller> {
    request.extensions().get::<Caller>()
}

/// Any signed-in user; UNAUTHENTICATED otherwise.
pub fn authenticated<T>(request: &tonic::Request<T>) -> Result<&Caller, ApiError> {
    caller(request).ok_or_else(|| ApiError::unauthenticated(DOMAIN, "TOKEN_MISSING"))
}

/// A signed-in user holding `role`; PERMISSION_DENIED for other users.
pub fn role<T>(request: &tonic::Request<T>, role: Role) -> Result<&Caller, ApiError> {
    let caller = authenticated(request)?;
    if caller.has_role(role) {
        Ok(caller)
    } else {
        Err(ApiError::permission_denied(
            DOMAIN,
            &format!("role:{}", role.as_str()),
        ))
    }
}

/// An admin or a moderator; PERMISSION_DENIED for other users.
pub fn staff<T>(request: &tonic::Request<T>) -> Result<&Caller, ApiError> {
    let caller = authenticated(request)?;
    if caller.is_staff() {
        Ok(caller)
    } else {
        Err(ApiError::permission_denied(DOMAIN, "role:moderator"))
    }
}

/// The user `owner_id` or an admin; PERMISSION_DENIED for anyone else.
pub fn owner_or_admin<'r, T>(
    request: &'r tonic::Request<T>,
    owner_id: &str,
) -> Result<&'r Caller, ApiError> {
    let caller = authenticated(request)?;
    if caller.user_id == owner_id || caller.is_admin() {
        Ok(caller)
    } else {
        Err(ApiError::permission_denied(DOMAIN, "owner"))
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    fn request_from(caller: Option<Caller>) -> tonic::Request<()> {
        let mut request = tonic::Request::new(());
        if let Some(caller) = caller {
            request.extensions_mut().insert(caller);
        }
        request
    }

    fn user(id: &str, roles: &[Role]) -> Option<Caller> {
        Some(Caller {
            user_id: id.to_owned(),
            roles: roles.to_vec(),
        })
    }

    fn code<T>(result: Result<T, ApiError>) -> Option<Code> {
        result.err().map(|err| err.code())
    }

    #[test]
    fn anonymous_callers_are_unauthenticated() {
        let request = request_from(None);
        assert_eq!(code(authenticated(&request)), Some(Code::Unauthenticated));
        assert_eq!(
            code(role(&request, Role::Host)),
            Some(Code::Unauthenticated)
        );
        assert_eq!(
            code(owner_or_admin(&request, "u1")),
            Some(Code::Unauthenticated)
        );
    }

    #[test]
    fn a_role_is_required_when_asked_for() {
        assert_eq!(
            code(role(&request_from(user("u1", &[Role::Host])), Role::Host)),
            None
        );
        assert_eq!(
            code(role(&request_from(user("u1", &[Role::Guest])), Role::Host)),
            Some(Code::PermissionDenied)
        );
    }

    #[test]
    fn staff_are_admins_and_moderators() {
        for roles in [
            &[Role::Guest, Role::Admin][..],
            &[Role::Guest, Role::Moderator],
        ] {
            assert_eq!(code(staff(&request_from(user("u1", roles)))), None);
        }
        let denied = staff(&request_from(user(
            "u1",
            &[Role::Guest, Role::Host, Role::Agent],
        )))
        .expect_err("not staff");
        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(
            code(staff(&request_from(None))),
            Some(Code::Unauthenticated)
        );
    }

    #[test]
    fn only_the_owner_or_an_admin_passes_the_owner_check() {
        assert_eq!(
            code(owner_or_admin(
                &request_from(user("u1", &[Role::Guest])),
                "u1"
            )),
            None
        );
        assert_eq!(
            code(owner_or_admin(
                &request_from(user("u2", &[Role::Admin])),
                "u1"
            )),
            None
        );
        assert_eq!(
            code(owner_or_admin(
                &request_from(user("u2", &[Role::Host])),
                "u1"
            )),
            Some(Code::PermissionDenied)
        );
    }
}
