//! The wishlist and comparison tables.
//!
//! A wishlist's row is locked (by an update) before its listings change, so its size limit
//! holds under concurrent saves. A listing's `saved_listings` row is locked before a save of
//! it is added or removed, so its save counts, and the `favorite.*` events carrying them,
//! follow commit order. Wishlists are locked before listings, listings in name order.

use std::time::SystemTime;

use estospaces_events::NewEvent;
use estospaces_proto::review_v1 as pb;
use estospaces_storage::{Database, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::store::{Cursor, OUTBOX};

/// How many listings a wishlist holds at most.
pub const MAX_WISHLIST_LISTINGS: i64 = 500;

/// A stored wishlist with its listings, the most recently saved first.
#[derive(Debug, Clone, PartialEq)]
pub struct WishlistRecord {
    pub id: Uuid,
    pub owner: String,
    pub title: String,
    /// Empty while not shared.
    pub share_token: String,
    pub listings: Vec<(String, SystemTime)>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl WishlistRecord {
    pub fn new(owner: &str, title: String) -> Self {
        let now = SystemTime::now();
        Self {
            id: Uuid::now_v7(),
            owner: owner.to_owned(),
            title,
            share_token: String::new(),
            listings: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn name(&self) -> String {
        wishlist_name(&self.owner, self.id)
    }

    pub fn cursor(&self) -> Cursor {
        (unix_micros(self.updated_at), self.id.to_string())
    }

    /// The wishlist as its owner sees it.
    pub fn proto(&self) -> pb::Wishlist {
        pb::Wishlist {
            name: self.name(),
            title: self.title.clone(),
            listings: self
                .listings
                .iter()
                .map(|(listing, saved_at)| pb::SavedListing {
                    listing: listing.clone(),
                    save_time: Some((*saved_at).into()),
                })
                .collect(),
            shared: !self.share_token.is_empty(),
            share_token: self.share_token.clone(),
            create_time: Some(self.created_at.into()),
            update_time: Some(self.updated_at.into()),
        }
    }
}

/// A stored comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparisonRecord {
    pub id: Uuid,
    pub owner: String,
    pub title: String,
    /// `properties/{property}`, in display order.
    pub listings: Vec<String>,
    /// `YYYY-MM-DD`, or both empty.
    pub check_in: String,
    pub check_out: String,
    pub guests: i64,
    /// Empty while not shared.
    pub share_token: String,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl ComparisonRecord {
    pub fn name(&self) -> String {
        format!("users/{}/comparisons/{}", self.owner, self.id)
    }

    pub fn cursor(&self) -> Cursor {
        (unix_micros(self.updated_at), self.id.to_string())
    }

    /// The comparison as its owner sees it.
    pub fn proto(&self) -> pb::Comparison {
        pb::Comparison {
            name: self.name(),
            title: self.title.clone(),
            listings: self.listings.clone(),
            check_in: self.check_in.clone(),
            check_out: self.check_out.clone(),
            shared: !self.share_token.is_empty(),
            share_token: self.share_token.clone(),
            create_time: Some(self.created_at.into()),
            update_time: Some(self.updated_at.into()),
            guests: i32::try_from(self.guests).unwrap_or(i32::MAX),
        }
    }
}

pub fn wishlist_name(owner: &str, id: Uuid) -> String {
    format!("users/{owner}/wishlists/{id}")
}

/// What an update does to the read-only link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Keep,
    /// Shares with a new token, unless already shared.
    On,
    /// Revokes the token.
    Off,
}

impl Sharing {
    pub fn from_shared(shared: bool) -> Self {
        if shared { Self::On } else { Self::Off }
    }

    fn code(self) -> i64 {
        match self {
            Self::Keep => -1,
            Self::Off => 0,
            Self::On => 1,
        }
    }
}

/// The `share_token` assignment of an update: `$code` says what to do, `$token` is the new one.
fn share_token_sql(code: usize, token: usize) -> String {
    format!(
        "share_token = CASE WHEN ${code} = 0 THEN '' \
         WHEN ${code} = 1 AND share_token = '' THEN ${token} ELSE share_token END"
    )
}

/// A new unguessable link token: 32 hex characters.
pub fn new_share_token() -> String {
    // Rotating one v4 UUID by half lines its fixed version and variant bits up with the
    // other's random ones: all 128 bits are random.
    let random = Uuid::new_v4().as_u128() ^ Uuid::new_v4().as_u128().rotate_left(64);
    format!("{random:032x}")
}

/// What adding a listing to a wishlist came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Added, or there already.
    Wishlist(WishlistRecord),
    NotFound,
    Full,
}

const WISHLIST_COLUMNS: &str = "id, owner_id, title, share_token, created_at, updated_at";
const COMPARISON_COLUMNS: &str = "id, owner_id, title, listings, check_in, check_out, guests, \
    share_token, created_at, updated_at";

/// The wishlist and comparison tables. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CollectionStore {
    db: Database,
}

impl CollectionStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create_wishlist(&self, wishlist: &WishlistRecord) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "INSERT INTO wishlists ({WISHLIST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(wishlist.id.to_string())
        .bind(&wishlist.owner)
        .bind(&wishlist.title)
        .bind(&wishlist.share_token)
        .bind(unix_micros(wishlist.created_at))
        .bind(unix_micros(wishlist.updated_at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// `owner`'s wishlist `id`.
    pub async fn wishlist(
        &self,
        owner: &str,
        id: Uuid,
    ) -> Result<Option<WishlistRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        wishlist_in(&mut conn, owner, id).await
    }

    /// The shared wishlist whose link holds `token`.
    pub async fn shared_wishlist(
        &self,
        token: &str,
    ) -> Result<Option<WishlistRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {WISHLIST_COLUMNS} FROM wishlists WHERE share_token = $1 AND share_token <> ''"
        ))
        .bind(token)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => Ok(Some(with_listings(&mut conn, wishlist_from(&row)?).await?)),
            None => Ok(None),
        }
    }

    /// A page of `owner`'s wishlists, the most recently changed first, after `after`; one
    /// more than `limit` when there are more.
    pub async fn wishlists(
        &self,
        owner: &str,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<WishlistRecord>, sqlx::Error> {
        let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
        let mut conn = self.db.pool().acquire().await?;
        let rows = sqlx::query(&format!(
            "SELECT {WISHLIST_COLUMNS} FROM wishlists WHERE owner_id = $1 \
             AND (updated_at < $2 OR (updated_at = $2 AND id < $3)) \
             ORDER BY updated_at DESC, id DESC LIMIT $4"
        ))
        .bind(owner)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(&mut *conn)
        .await?;
        let mut wishlists = Vec::with_capacity(rows.len());
        for row in &rows {
            wishlists.push(with_listings(&mut conn, wishlist_from(row)?).await?);
        }
        Ok(wishlists)
    }

    /// Renames (with `title`) or shares or unshares `owner`'s wishlist `id`; `None` when
    /// there is none.
    pub async fn update_wishlist(
        &self,
        owner: &str,
        id: Uuid,
        title: Option<&str>,
        sharing: Sharing,
    ) -> Result<Option<WishlistRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query(&format!(
            "UPDATE wishlists SET title = CASE WHEN $3 THEN $4 ELSE title END, {}, \
             updated_at = $7 WHERE id = $1 AND owner_id = $2",
            share_token_sql(5, 6)
        ))
        .bind(id.to_string())
        .bind(owner)
        .bind(title.is_some())
        .bind(title.unwrap_or_default())
        .bind(sharing.code())
        .bind(new_share_token())
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let updated = wishlist_in(&mut tx, owner, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes `owner`'s wishlist `id` and its listings; whether there was one.
    pub async fn delete_wishlist(&self, owner: &str, id: Uuid) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let deleted = sqlx::query("DELETE FROM wishlists WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !deleted {
            return Ok(false);
        }
        let listings: Vec<String> = sqlx::query(
            "SELECT listing FROM wishlist_listings WHERE wishlist_id = $1 ORDER BY listing",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get("listing"))
        .collect::<Result<_, _>>()?;
        let name = wishlist_name(owner, id);
        for listing in &listings {
            unsave_in(&mut tx, id, &name, listing).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Saves `listing` to `owner`'s wishlist `id`, unless it is there already.
    pub async fn add_listing(
        &self,
        owner: &str,
        id: Uuid,
        listing: &str,
    ) -> Result<Saved, sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        if !lock_wishlist_in(&mut tx, owner, id).await? {
            return Ok(Saved::NotFound);
        }
        if holds_in(&mut tx, id, listing).await? {
            let current = wishlist_in(&mut tx, owner, id).await?;
            return Ok(current.map_or(Saved::NotFound, Saved::Wishlist));
        }
        let held: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM wishlist_listings WHERE wishlist_id = $1")
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if held >= MAX_WISHLIST_LISTINGS {
            return Ok(Saved::Full);
        }
        lock_listing_in(&mut tx, listing).await?;
        sqlx::query(
            "INSERT INTO wishlist_listings (wishlist_id, listing, saved_at) VALUES ($1, $2, $3)",
        )
        .bind(id.to_string())
        .bind(listing)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        touch_in(&mut tx, id, now).await?;
        let save_count = save_count_in(&mut tx, listing).await?;
        OUTBOX
            .append(
                &mut tx,
                NewEvent::new(
                    "favorite.added",
                    "listing",
                    listing,
                    &pb::FavoriteAdded {
                        wishlist: wishlist_name(owner, id),
                        listing: listing.to_owned(),
                        save_count,
                    },
                ),
            )
            .await?;
        let saved = wishlist_in(&mut tx, owner, id).await?;
        tx.commit().await?;
        Ok(saved.map_or(Saved::NotFound, Saved::Wishlist))
    }

    /// Takes `listing` out of `owner`'s wishlist `id`; the wishlist after, `None` when there
    /// is none.
    pub async fn remove_listing(
        &self,
        owner: &str,
        id: Uuid,
        listing: &str,
    ) -> Result<Option<WishlistRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        if !lock_wishlist_in(&mut tx, owner, id).await? {
            return Ok(None);
        }
        if holds_in(&mut tx, id, listing).await? {
            unsave_in(&mut tx, id, &wishlist_name(owner, id), listing).await?;
            touch_in(&mut tx, id, SystemTime::now()).await?;
        }
        let current = wishlist_in(&mut tx, owner, id).await?;
        tx.commit().await?;
        Ok(current)
    }

    /// How many wishlists hold `listing`.
    pub async fn save_count(&self, listing: &str) -> Result<i32, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        save_count_in(&mut conn, listing).await
    }

    pub async fn create_comparison(
        &self,
        comparison: &ComparisonRecord,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "INSERT INTO comparisons ({COMPARISON_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(comparison.id.to_string())
        .bind(&comparison.owner)
        .bind(&comparison.title)
        .bind(comparison.listings.join("\n"))
        .bind(&comparison.check_in)
        .bind(&comparison.check_out)
        .bind(comparison.guests)
        .bind(&comparison.share_token)
        .bind(unix_micros(comparison.created_at))
        .bind(unix_micros(comparison.updated_at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// `owner`'s comparison `id`.
    pub async fn comparison(
        &self,
        owner: &str,
        id: Uuid,
    ) -> Result<Option<ComparisonRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {COMPARISON_COLUMNS} FROM comparisons WHERE id = $1 AND owner_id = $2"
        ))
        .bind(id.to_string())
        .bind(owner)
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(comparison_from)
        .transpose()
    }

    /// The shared comparison whose link holds `token`.
    pub async fn shared_comparison(
        &self,
        token: &str,
    ) -> Result<Option<ComparisonRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {COMPARISON_COLUMNS} FROM comparisons \
             WHERE share_token = $1 AND share_token <> ''"
        ))
        .bind(token)
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(comparison_from)
        .transpose()
    }

    /// A page of `owner`'s comparisons, the most recently changed first, after `after`; one
    /// more than `limit` when there are more.
    pub async fn comparisons(
        &self,
        owner: &str,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ComparisonRecord>, sqlx::Error> {
        let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
        sqlx::query(&format!(
            "SELECT {COMPARISON_COLUMNS} FROM comparisons WHERE owner_id = $1 \
             AND (updated_at < $2 OR (updated_at = $2 AND id < $3)) \
             ORDER BY updated_at DESC, id DESC LIMIT $4"
        ))
        .bind(owner)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(comparison_from)
        .collect()
    }

    /// Writes `changed`'s title, listings, dates and guests and changes its link; the
    /// comparison after, `None` when there is none.
    pub async fn update_comparison(
        &self,
        changed: &ComparisonRecord,
        sharing: Sharing,
    ) -> Result<Option<ComparisonRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let updated = sqlx::query(&format!(
            "UPDATE comparisons SET title = $3, listings = $4, check_in = $5, check_out = $6, \
             guests = $7, {}, updated_at = $10 WHERE id = $1 AND owner_id = $2",
            share_token_sql(8, 9)
        ))
        .bind(changed.id.to_string())
        .bind(&changed.owner)
        .bind(&changed.title)
        .bind(changed.listings.join("\n"))
        .bind(&changed.check_in)
        .bind(&changed.check_out)
        .bind(changed.guests)
        .bind(sharing.code())
        .bind(new_share_token())
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {COMPARISON_COLUMNS} FROM comparisons WHERE id = $1"
        ))
        .bind(changed.id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        comparison_from(&row).map(Some)
    }

    /// Deletes `owner`'s comparison `id`; whether there was one.
    pub async fn delete_comparison(&self, owner: &str, id: Uuid) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM comparisons WHERE id = $1 AND owner_id = $2")
                .bind(id.to_string())
                .bind(owner)
                .execute(self.db.pool())
                .await?
                .rows_affected()
                == 1,
        )
    }
}

async fn wishlist_in(
    conn: &mut AnyConnection,
    owner: &str,
    id: Uuid,
) -> Result<Option<WishlistRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {WISHLIST_COLUMNS} FROM wishlists WHERE id = $1 AND owner_id = $2"
    ))
    .bind(id.to_string())
    .bind(owner)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(with_listings(conn, wishlist_from(&row)?).await?)),
        None => Ok(None),
    }
}

async fn with_listings(
    conn: &mut AnyConnection,
    mut wishlist: WishlistRecord,
) -> Result<WishlistRecord, sqlx::Error> {
    wishlist.listings = sqlx::query(
        "SELECT listing, saved_at FROM wishlist_listings WHERE wishlist_id = $1 \
         ORDER BY saved_at DESC, listing",
    )
    .bind(wishlist.id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("listing")?,
            from_unix_micros(row.try_get("saved_at")?),
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    Ok(wishlist)
}

/// Locks `owner`'s wishlist `id`; whether there is one.
async fn lock_wishlist_in(
    conn: &mut AnyConnection,
    owner: &str,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE wishlists SET updated_at = updated_at WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

async fn touch_in(conn: &mut AnyConnection, id: Uuid, now: SystemTime) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE wishlists SET updated_at = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(unix_micros(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Locks `listing`'s saves: see the module's comment.
async fn lock_listing_in(conn: &mut AnyConnection, listing: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saved_listings (listing, updated_at) VALUES ($1, $2) \
         ON CONFLICT (listing) DO UPDATE SET updated_at = excluded.updated_at",
    )
    .bind(listing)
    .bind(unix_micros(SystemTime::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn holds_in(conn: &mut AnyConnection, id: Uuid, listing: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 FROM wishlist_listings WHERE wishlist_id = $1 AND listing = $2")
            .bind(id.to_string())
            .bind(listing)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

async fn save_count_in(conn: &mut AnyConnection, listing: &str) -> Result<i32, sqlx::Error> {
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM wishlist_listings WHERE listing = $1")
        .bind(listing)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    Ok(i32::try_from(count).unwrap_or(i32::MAX))
}

/// Takes `listing` out of wishlist `id` (named `name`) and records `favorite.removed`.
async fn unsave_in(
    conn: &mut AnyConnection,
    id: Uuid,
    name: &str,
    listing: &str,
) -> Result<(), sqlx::Error> {
    lock_listing_in(conn, listing).await?;
    sqlx::query("DELETE FROM wishlist_listings WHERE wishlist_id = $1 AND listing = $2")
        .bind(id.to_string())
        .bind(listing)
        .execute(&mut *conn)
        .await?;
    let save_count = save_count_in(conn, listing).await?;
    OUTBOX
        .append(
            conn,
            NewEvent::new(
                "favorite.removed",
                "listing",
                listing,
                &pb::FavoriteRemoved {
                    wishlist: name.to_owned(),
                    listing: listing.to_owned(),
                    save_count,
                },
            ),
        )
        .await?;
    Ok(())
}

fn parse_id(text: String) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&text).map_err(|err| sqlx::Error::Decode(Box::new(err)))
}

fn wishlist_from(row: &AnyRow) -> Result<WishlistRecord, sqlx::Error> {
    Ok(WishlistRecord {
        id: parse_id(row.try_get("id")?)?,
        owner: row.try_get("owner_id")?,
        title: row.try_get("title")?,
        share_token: row.try_get("share_token")?,
        listings: Vec::new(),
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
    })
}

fn comparison_from(row: &AnyRow) -> Result<ComparisonRecord, sqlx::Error> {
    let listings: String = row.try_get("listings")?;
    Ok(ComparisonRecord {
        id: parse_id(row.try_get("id")?)?,
        owner: row.try_get("owner_id")?,
        title: row.try_get("title")?,
        listings: listings.lines().map(str::to_owned).collect(),
        check_in: row.try_get("check_in")?,
        check_out: row.try_get("check_out")?,
        guests: row.try_get("guests")?,
        share_token: row.try_get("share_token")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_tokens_are_32_hex_characters_and_differ() {
        let (a, b) = (new_share_token(), new_share_token());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
