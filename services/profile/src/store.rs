//! Profiles, host and agent profiles, agencies and members, in the SQL dialect PostgreSQL and
//! SQLite share.

use std::time::SystemTime;

use estospaces_storage::{Backend, Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::domain::{
    self, AgencyId, AgentFilter, Channel, MemberRole, ProfileFields, UserId, Verification,
};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// A stored profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub user: UserId,
    pub fields: ProfileFields,
    pub updated_at: Option<SystemTime>,
}

/// A stored host profile.
#[derive(Debug, Clone, Default)]
pub struct HostRecord {
    pub about: String,
    pub response_time_minutes: i32,
    pub created_at: Option<SystemTime>,
}

/// A stored agent profile.
#[derive(Debug, Clone)]
pub struct AgentRecord {
    pub licence_number: String,
    pub verification: Verification,
    pub verified_at: Option<SystemTime>,
}

/// A stored agency.
#[derive(Debug, Clone)]
pub struct AgencyRecord {
    pub id: AgencyId,
    pub display_name: String,
    pub description: String,
    pub created_at: SystemTime,
}

/// A stored membership.
#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub agency: AgencyId,
    pub user: UserId,
    pub role: MemberRole,
    pub created_at: SystemTime,
}

/// An agent as the directory lists them: public fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub user: UserId,
    pub display_name: String,
    pub avatar_media_id: String,
    pub city: String,
    pub languages: Vec<String>,
    pub verification: Verification,
}

impl DirectoryEntry {
    /// Where the entry sorts: verified agents first, then by display name, then by user.
    pub fn key(&self) -> DirectoryKey {
        DirectoryKey {
            unverified: self.verification != Verification::Verified,
            display_name: self.display_name.clone(),
            user: self.user,
        }
    }
}

/// A place in the directory's order, as a page token carries it: the last entry of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryKey {
    pub unverified: bool,
    pub display_name: String,
    pub user: UserId,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("the agent profile has no licence number")]
    NoLicence,
    #[error("an agency keeps at least one owner")]
    LastOwner,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The profile service's tables.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    db: Database,
}

fn decode(err: uuid::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(err))
}

fn split_list(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

const PROFILE_COLUMNS: &str = "user_id, display_name, avatar_media_id, bio, phone, languages, \
     city, currency, language, notification_channels, updated_at";

fn profile_from_row(row: &AnyRow) -> Result<ProfileRecord, sqlx::Error> {
    let channels: String = row.try_get("notification_channels")?;
    let languages: String = row.try_get("languages")?;
    Ok(ProfileRecord {
        user: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
        fields: ProfileFields {
            display_name: row.try_get("display_name")?,
            avatar_media_id: row.try_get("avatar_media_id")?,
            bio: row.try_get("bio")?,
            phone: row.try_get("phone")?,
            languages: split_list(&languages),
            city: row.try_get("city")?,
            currency: row.try_get("currency")?,
            language: row.try_get("language")?,
            notification_channels: split_list(&channels)
                .iter()
                .filter_map(|name| Channel::from_name(name))
                .collect(),
        },
        updated_at: Some(from_unix_micros(row.try_get("updated_at")?)),
    })
}

fn agent_from_row(row: &AnyRow) -> Result<AgentRecord, sqlx::Error> {
    let status: String = row.try_get("verification_status")?;
    let verified_at: Option<i64> = row.try_get("verified_at")?;
    Ok(AgentRecord {
        licence_number: row.try_get("licence_number")?,
        verification: Verification::from_name(&status).unwrap_or(Verification::Pending),
        verified_at: verified_at.map(from_unix_micros),
    })
}

fn member_from_row(row: &AnyRow) -> Result<MemberRecord, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(MemberRecord {
        agency: AgencyId::parse(&row.try_get::<String, _>("agency_id")?).map_err(decode)?,
        user: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
        role: MemberRole::from_name(&role).unwrap_or(MemberRole::Agent),
        created_at: from_unix_micros(row.try_get("created_at")?),
    })
}

impl ProfileStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// `SELECT ... FOR UPDATE` where the backend has row locks. SQLite has none and needs none:
    /// a write transaction there holds the whole database.
    fn for_update(&self) -> &'static str {
        match self.db.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Creates an empty profile unless one exists; whether it did.
    pub async fn create_profile(&self, user: UserId, now: SystemTime) -> Result<bool, StoreError> {
        create_profile_in(&mut *self.db.pool().acquire().await?, user, now).await
    }

    /// A connection from the pool, for handlers that take one (tests of event handlers).
    pub async fn connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.db.pool().acquire().await?)
    }

    /// The user's profile, if one was created.
    pub async fn profile(&self, user: UserId) -> Result<Option<ProfileRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = $1"
        ))
        .bind(user.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(profile_from_row).transpose()?)
    }

    /// Up to `limit` agents (users with an agent profile) passing `filter`, after `after`:
    /// verified agents first, then by display name, then by user. An agent whose profile row
    /// has not arrived yet lists with empty fields (and matches no city or language).
    pub async fn agents(
        &self,
        filter: &AgentFilter,
        after: Option<&DirectoryKey>,
        limit: i64,
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        // Built with numbered parameters in the order they are bound.
        let mut conditions = Vec::new();
        let mut params: Vec<String> = Vec::new();
        let mut param = |value: String| {
            params.push(value);
            format!("${}", params.len())
        };
        if let Some(city) = &filter.city {
            conditions.push(format!("p.city_key = {}", param(city.clone())));
        }
        if let Some(language) = &filter.language {
            // Tags are stored comma-separated (ASCII, no `%` or `_` after validation):
            // `pt` is the whole tag `pt` or a tag starting `pt-`.
            let listed = "(',' || LOWER(COALESCE(p.languages, '')) || ',')";
            let exact = param(format!("%,{language},%"));
            let prefix = param(format!("%,{language}-%"));
            conditions.push(format!("({listed} LIKE {exact} OR {listed} LIKE {prefix})"));
        }
        let rank = "CASE WHEN a.verification_status = 'verified' THEN 0 ELSE 1 END";
        let name = "COALESCE(p.display_name, '')";
        if let Some(after) = after {
            let rank_after = if after.unverified { "1" } else { "0" };
            let name_after = param(after.display_name.clone());
            let user_after = param(after.user.to_string());
            conditions.push(format!(
                "({rank} > {rank_after} OR ({rank} = {rank_after} AND ({name} > {name_after} \
                 OR ({name} = {name_after} AND a.user_id > {user_after}))))"
            ));
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT a.user_id, a.verification_status, {name} AS display_name, \
             COALESCE(p.avatar_media_id, '') AS avatar_media_id, COALESCE(p.city, '') AS city, \
             COALESCE(p.languages, '') AS languages \
             FROM agent_profiles a LEFT JOIN profiles p ON p.user_id = a.user_id \
             {filter_sql} ORDER BY {rank}, {name}, a.user_id LIMIT {limit}"
        );
        let mut query = sqlx::query(&sql);
        for value in params {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("verification_status")?;
                let languages: String = row.try_get("languages")?;
                Ok(DirectoryEntry {
                    user: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
                    display_name: row.try_get("display_name")?,
                    avatar_media_id: row.try_get("avatar_media_id")?,
                    city: row.try_get("city")?,
                    languages: split_list(&languages),
                    verification: Verification::from_name(&status).unwrap_or(Verification::Pending),
                })
            })
            .collect()
    }

    /// Applies `change` to the profile (created empty if missing) under a row lock, so
    /// concurrent updates of different fields do not overwrite each other.
    pub async fn update_profile(
        &self,
        user: UserId,
        change: impl FnOnce(&mut ProfileFields),
        now: SystemTime,
    ) -> Result<ProfileRecord, StoreError> {
        let micros = unix_micros(now);
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO profiles (user_id, created_at, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.to_string())
        .bind(micros)
        .bind(micros)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = $1{}",
            self.for_update()
        ))
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let mut fields = profile_from_row(&row)?.fields;
        change(&mut fields);
        let channels: Vec<&str> = fields
            .notification_channels
            .iter()
            .map(|channel| channel.as_str())
            .collect();
        let row = sqlx::query(&format!(
            "UPDATE profiles SET display_name = $1, avatar_media_id = $2, bio = $3, phone = $4, \
             languages = $5, city = $6, currency = $7, language = $8, \
             notification_channels = $9, updated_at = $10, city_key = $11 WHERE user_id = $12 \
             RETURNING {PROFILE_COLUMNS}"
        ))
        .bind(&fields.display_name)
        .bind(&fields.avatar_media_id)
        .bind(&fields.bio)
        .bind(&fields.phone)
        .bind(fields.languages.join(","))
        .bind(&fields.city)
        .bind(&fields.currency)
        .bind(&fields.language)
        .bind(channels.join(","))
        .bind(micros)
        .bind(domain::city_key(&fields.city))
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let record = profile_from_row(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    /// Erases everything held about a user: profile, host and agent profiles, memberships.
    /// An agency the user was the last owner of passes to its longest-standing manager (or
    /// else agent); one left without members is deleted. Whether there was anything to erase.
    pub async fn erase_user(&self, user: UserId) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let erased = erase_user_in(&mut tx, user).await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// The user's host profile, if set up.
    pub async fn host_profile(&self, user: UserId) -> Result<Option<HostRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT about, response_time_minutes, created_at FROM host_profiles WHERE user_id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            let minutes: i64 = row.try_get("response_time_minutes")?;
            Ok(HostRecord {
                about: row.try_get("about")?,
                response_time_minutes: i32::try_from(minutes).unwrap_or(i32::MAX),
                created_at: Some(from_unix_micros(row.try_get("created_at")?)),
            })
        })
        .transpose()
    }

    /// Creates or changes a host profile.
    pub async fn update_host_profile(
        &self,
        user: UserId,
        change: impl FnOnce(&mut HostRecord),
        now: SystemTime,
    ) -> Result<HostRecord, StoreError> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO host_profiles (user_id, created_at) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.to_string())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT about, response_time_minutes, created_at FROM host_profiles \
             WHERE user_id = $1{}",
            self.for_update()
        ))
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let minutes: i64 = row.try_get("response_time_minutes")?;
        let mut host = HostRecord {
            about: row.try_get("about")?,
            response_time_minutes: i32::try_from(minutes).unwrap_or(i32::MAX),
            created_at: Some(from_unix_micros(row.try_get("created_at")?)),
        };
        change(&mut host);
        sqlx::query(
            "UPDATE host_profiles SET about = $1, response_time_minutes = $2 WHERE user_id = $3",
        )
        .bind(&host.about)
        .bind(i64::from(host.response_time_minutes))
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(host)
    }

    /// The user's agent profile, if set up.
    pub async fn agent_profile(&self, user: UserId) -> Result<Option<AgentRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT licence_number, verification_status, verified_at FROM agent_profiles \
             WHERE user_id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(agent_from_row).transpose()?)
    }

    /// Sets an agent's licence number. A new number needs checking again: the status goes back
    /// to pending.
    pub async fn set_licence_number(
        &self,
        user: UserId,
        licence_number: &str,
        now: SystemTime,
    ) -> Result<AgentRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO agent_profiles (user_id, licence_number, verification_status, created_at) \
             VALUES ($1, $2, 'pending', $3) \
             ON CONFLICT (user_id) DO UPDATE SET \
               verification_status = CASE WHEN agent_profiles.licence_number = excluded.licence_number \
                 THEN agent_profiles.verification_status ELSE 'pending' END, \
               verified_at = CASE WHEN agent_profiles.licence_number = excluded.licence_number \
                 THEN agent_profiles.verified_at ELSE NULL END, \
               licence_number = excluded.licence_number \
             RETURNING licence_number, verification_status, verified_at",
        )
        .bind(user.to_string())
        .bind(licence_number)
        .bind(unix_micros(now))
        .fetch_one(self.db.pool())
        .await?;
        Ok(agent_from_row(&row)?)
    }

    /// Records an admin's decision on an agent's licence.
    pub async fn verify_agent(
        &self,
        user: UserId,
        decision: Verification,
        admin: &str,
        now: SystemTime,
    ) -> Result<AgentRecord, StoreError> {
        let current = self
            .agent_profile(user)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.licence_number.is_empty() {
            return Err(StoreError::NoLicence);
        }
        let row = sqlx::query(
            "UPDATE agent_profiles SET verification_status = $1, verified_at = $2, verified_by = $3 \
             WHERE user_id = $4 AND licence_number = $5 \
             RETURNING licence_number, verification_status, verified_at",
        )
        .bind(decision.as_str())
        .bind(unix_micros(now))
        .bind(admin)
        .bind(user.to_string())
        .bind(&current.licence_number)
        .fetch_optional(self.db.pool())
        .await?
        // The licence changed under the admin's eyes: they decided on a number that is gone.
        .ok_or(StoreError::NotFound)?;
        Ok(agent_from_row(&row)?)
    }

    /// Creates an agency with `owner` as its first owner.
    pub async fn create_agency(
        &self,
        display_name: &str,
        description: &str,
        owner: UserId,
        now: SystemTime,
    ) -> Result<AgencyRecord, StoreError> {
        let agency = AgencyRecord {
            id: AgencyId::new(),
            display_name: display_name.to_owned(),
            description: description.to_owned(),
            created_at: from_unix_micros(unix_micros(now)),
        };
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO agencies (id, display_name, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(agency.id.to_string())
        .bind(&agency.display_name)
        .bind(&agency.description)
        .bind(unix_micros(agency.created_at))
        .execute(&mut *tx)
        .await?;
        upsert_member(&mut tx, agency.id, owner, MemberRole::Owner, now).await?;
        tx.commit().await?;
        Ok(agency)
    }

    /// The agency, if it exists.
    pub async fn agency(&self, id: AgencyId) -> Result<Option<AgencyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, display_name, description, created_at FROM agencies WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(AgencyRecord {
                id: AgencyId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
                display_name: row.try_get("display_name")?,
                description: row.try_get("description")?,
                created_at: from_unix_micros(row.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// `user`'s role in the agency, if they are a member.
    pub async fn member_role(
        &self,
        agency: AgencyId,
        user: &str,
    ) -> Result<Option<MemberRole>, StoreError> {
        let row =
            sqlx::query("SELECT role FROM agency_members WHERE agency_id = $1 AND user_id = $2")
                .bind(agency.to_string())
                .bind(user)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row
            .map(|row| row.try_get::<String, _>("role"))
            .transpose()?
            .and_then(|role| MemberRole::from_name(&role)))
    }

    /// Adds a member or changes their role. Demoting the last owner is refused.
    pub async fn put_member(
        &self,
        agency: AgencyId,
        user: UserId,
        role: MemberRole,
        now: SystemTime,
    ) -> Result<MemberRecord, StoreError> {
        let mut tx = self.db.begin().await?;
        if role != MemberRole::Owner {
            refuse_removing_last_owner(&mut tx, agency, user, self.for_update()).await?;
        }
        let member = upsert_member(&mut tx, agency, user, role, now).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The agency's members, owners first, then managers, then agents.
    pub async fn members(&self, agency: AgencyId) -> Result<Vec<MemberRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT agency_id, user_id, role, created_at FROM agency_members WHERE agency_id = $1 \
             ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, created_at, user_id",
        )
        .bind(agency.to_string())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(member_from_row).collect::<Result<_, _>>()?)
    }

    /// The user's memberships in every agency, by agency (ordered as `members` orders within
    /// one). Served by the `agency_members_by_user` index.
    pub async fn memberships(&self, user: UserId) -> Result<Vec<MemberRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT agency_id, user_id, role, created_at FROM agency_members WHERE user_id = $1 \
             ORDER BY agency_id, CASE role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, \
             created_at, user_id",
        )
        .bind(user.to_string())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(member_from_row).collect::<Result<_, _>>()?)
    }

    /// Removes a member; the last owner stays.
    pub async fn delete_member(&self, agency: AgencyId, user: UserId) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        refuse_removing_last_owner(&mut tx, agency, user, self.for_update()).await?;
        let deleted =
            sqlx::query("DELETE FROM agency_members WHERE agency_id = $1 AND user_id = $2")
                .bind(agency.to_string())
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn upsert_member(
    tx: &mut Transaction<'static, Any>,
    agency: AgencyId,
    user: UserId,
    role: MemberRole,
    now: SystemTime,
) -> Result<MemberRecord, StoreError> {
    let row = sqlx::query(
        "INSERT INTO agency_members (agency_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (agency_id, user_id) DO UPDATE SET role = excluded.role \
         RETURNING agency_id, user_id, role, created_at",
    )
    .bind(agency.to_string())
    .bind(user.to_string())
    .bind(role.as_str())
    .bind(unix_micros(now))
    .fetch_one(&mut **tx)
    .await;
    match row {
        Ok(row) => Ok(member_from_row(&row)?),
        Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => {
            Err(StoreError::NotFound)
        }
        Err(err) => Err(err.into()),
    }
}

/// LastOwner when `user` is the agency's only owner. The owners are locked (PostgreSQL) so two
/// owners cannot remove each other at once.
async fn refuse_removing_last_owner(
    tx: &mut Transaction<'static, Any>,
    agency: AgencyId,
    user: UserId,
    for_update: &str,
) -> Result<(), StoreError> {
    let owners: Vec<String> = sqlx::query(&format!(
        "SELECT user_id FROM agency_members WHERE agency_id = $1 AND role = 'owner'{for_update}"
    ))
    .bind(agency.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| row.try_get("user_id"))
    .collect::<Result<_, _>>()?;
    if owners == [user.to_string()] {
        return Err(StoreError::LastOwner);
    }
    Ok(())
}

/// Creates an empty profile for `user` on `conn` (the consumer's transaction); false when it
/// already exists, so redelivery changes nothing.
pub async fn create_profile_in(
    conn: &mut sqlx::AnyConnection,
    user: UserId,
    now: SystemTime,
) -> Result<bool, StoreError> {
    let created = sqlx::query(
        "INSERT INTO profiles (user_id, created_at, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.to_string())
    .bind(unix_micros(now))
    .bind(unix_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(created.rows_affected() > 0)
}

/// Erases everything held about `user` on `conn` (the consumer's transaction): profile, host and
/// agent profiles, agency memberships; an agency losing its last owner passes to a manager or
/// agent, or goes when empty. False when there was nothing to erase.
pub async fn erase_user_in(
    conn: &mut sqlx::AnyConnection,
    user: UserId,
) -> Result<bool, StoreError> {
    let owned: Vec<String> =
        sqlx::query("SELECT agency_id FROM agency_members WHERE user_id = $1 AND role = 'owner'")
            .bind(user.to_string())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| row.try_get("agency_id"))
            .collect::<Result<_, _>>()?;
    let mut erased = 0;
    for table in [
        "profiles",
        "host_profiles",
        "agent_profiles",
        "agency_members",
    ] {
        erased += sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user.to_string())
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    for agency in owned {
        let has_owner = sqlx::query(
            "SELECT user_id FROM agency_members WHERE agency_id = $1 AND role = 'owner'",
        )
        .bind(&agency)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
        if has_owner {
            continue;
        }
        let successor = sqlx::query(
            "SELECT user_id FROM agency_members WHERE agency_id = $1 \
             ORDER BY CASE role WHEN 'manager' THEN 0 ELSE 1 END, created_at, user_id",
        )
        .bind(&agency)
        .fetch_optional(&mut *conn)
        .await?;
        match successor {
            Some(row) => {
                let successor: String = row.try_get("user_id")?;
                sqlx::query(
                    "UPDATE agency_members SET role = 'owner' WHERE agency_id = $1 AND user_id = $2",
                )
                .bind(&agency)
                .bind(&successor)
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM agencies WHERE id = $1")
                    .bind(&agency)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(erased > 0)
}
