//! Which development project each listing sells a unit of, learnt from the project service's
//! unit events (`unit.created`, `unit.updated`, `unit.sold` on `estospaces.project.v1`, each
//! carrying the whole unit and its sale listing, `Unit.listing`).
//!
//! ```text
//!  estospaces.project.v1 ──▶ indexer ──▶ ProjectLinks (memory) ──▶ documents' `project`
//!                                 └── at each commit, before the index ──▶ project_units (DB)
//! ```
//!
//! The links live in the service's database as well as in the index: the project topic keeps a
//! week of events (and is keyed by project, so compaction would keep one unit per project),
//! while an index is rebuilt from the beginning of the property topic. The indexer loads the
//! links when it starts, so a rebuilt index takes every link from the table, however old.
//!
//! A unit event applies only when it is newer than the unit's stored link (its
//! `update_time`, then its aggregate sequence), so replays and redeliveries change nothing
//! and several replicas writing the same table agree.

use std::collections::HashMap;

use estospaces_events::Event;
use estospaces_proto::project_v1 as ppb;

use crate::listing::id_of;

/// What a unit event says: the unit's project and sale listing, as of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLink {
    /// `{unit}` of `projects/{project}/units/{unit}`.
    pub unit: String,
    /// `{project}`.
    pub project: String,
    /// The listing id (`{property}`), empty when the unit has no sale listing.
    pub listing: String,
    /// `Unit.update_time` (else when the event happened), Unix microseconds.
    pub updated_at: i64,
    /// The event's aggregate sequence: orders two changes within one microsecond.
    pub sequence: i64,
}

impl UnitLink {
    /// The link a unit event carries; `None` for other events, and for a unit without a valid
    /// name (logged).
    pub fn from_event(event: &Event) -> Option<Self> {
        if !event.is::<ppb::UnitChanged>() {
            return None;
        }
        let unit = match event.payload::<ppb::UnitChanged>() {
            Ok(changed) => changed.unit?,
            Err(err) => {
                tracing::warn!(event_id = %event.envelope.event_id, "skipping an undecodable unit event: {err}");
                return None;
            }
        };
        let Some((project, unit_id)) = unit_name(&unit.name) else {
            tracing::warn!(event_id = %event.envelope.event_id, name = %unit.name, "skipping a unit event without a valid unit name");
            return None;
        };
        let updated_at = unit
            .update_time
            .or(event.envelope.occurred_at)
            .map_or(0, |time| {
                time.seconds * 1_000_000 + i64::from(time.nanos / 1_000)
            });
        Some(Self {
            unit: unit_id.to_owned(),
            project: project.to_owned(),
            listing: id_of(&unit.listing).unwrap_or_default().to_owned(),
            updated_at,
            sequence: event.envelope.aggregate_sequence,
        })
    }

    /// Whether this link is a later state of the unit than `other`.
    pub fn newer_than(&self, other: &Self) -> bool {
        (self.updated_at, self.sequence) > (other.updated_at, other.sequence)
    }
}

/// `(project, unit)` of `projects/{project}/units/{unit}`.
pub fn unit_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("projects/")?;
    let (project, unit) = rest.split_once("/units/")?;
    (is_id(project) && is_id(unit)).then_some((project, unit))
}

/// `{project}` of `projects/{project}`, where the id is a UUID-like token.
pub fn project_name(name: &str) -> Option<&str> {
    name.strip_prefix("projects/").filter(|id| is_id(id))
}

/// Resource ids are UUIDs; accepted here as 1 to 64 letters, digits and `-`, so a malformed
/// name (`projects/`, `projects/a/b`) is refused and an id never contains a separator.
fn is_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Every unit's link, and which unit sells each listing.
#[derive(Debug, Clone, Default)]
pub struct ProjectLinks {
    units: HashMap<String, UnitLink>,
    /// listing id → unit id.
    listings: HashMap<String, String>,
}

impl ProjectLinks {
    /// The links as loaded from the database.
    pub fn new(links: impl IntoIterator<Item = UnitLink>) -> Self {
        let mut this = Self::default();
        for link in links {
            this.apply(link);
        }
        this
    }

    /// The unit that sells `listing`, if any.
    pub fn unit_of(&self, listing: &str) -> Option<&UnitLink> {
        self.listings
            .get(listing)
            .and_then(|unit| self.units.get(unit))
    }

    /// The unit `unit`'s current link.
    pub fn unit(&self, unit: &str) -> Option<&UnitLink> {
        self.units.get(unit)
    }

    /// Applies `link` if it is newer than what the unit has; whether it did.
    pub fn apply(&mut self, link: UnitLink) -> bool {
        if let Some(current) = self.units.get(&link.unit) {
            if !link.newer_than(current) {
                return false;
            }
            if current.listing != link.listing
                && self.listings.get(&current.listing) == Some(&current.unit)
            {
                self.listings.remove(&current.listing);
            }
        }
        if !link.listing.is_empty() {
            // A listing sells one unit; should two claim it, the later change wins.
            self.listings
                .insert(link.listing.clone(), link.unit.clone());
        }
        self.units.insert(link.unit.clone(), link);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(unit: &str, listing: &str, updated_at: i64) -> UnitLink {
        UnitLink {
            unit: unit.to_owned(),
            project: "p1".to_owned(),
            listing: listing.to_owned(),
            updated_at,
            sequence: 1,
        }
    }

    #[test]
    fn a_later_change_moves_or_clears_a_units_listing_and_an_older_one_changes_nothing() {
        let mut links = ProjectLinks::default();
        assert!(links.apply(link("u1", "l1", 10)));
        assert_eq!(links.unit_of("l1").map(|u| u.unit.as_str()), Some("u1"));

        assert!(links.apply(link("u1", "l2", 20)));
        assert!(links.unit_of("l1").is_none());
        assert!(links.unit_of("l2").is_some());

        assert!(
            !links.apply(link("u1", "l1", 10)),
            "a replay of the older event"
        );
        assert!(links.unit_of("l1").is_none());

        assert!(links.apply(link("u1", "", 30)));
        assert!(links.unit_of("l2").is_none());
        assert_eq!(links.unit("u1").map(|u| u.listing.as_str()), Some(""));
    }

    #[test]
    fn unit_and_project_names_are_checked() {
        assert_eq!(unit_name("projects/p-1/units/u-2"), Some(("p-1", "u-2")));
        for bad in [
            "projects/p/units/",
            "projects//units/u",
            "units/u",
            "projects/p/u/units/v",
        ] {
            assert_eq!(unit_name(bad), None, "accepted {bad}");
        }
        assert_eq!(
            project_name("projects/0190a4c2-7d1e-7000-8000-000000000001"),
            Some("0190a4c2-7d1e-7000-8000-000000000001")
        );
        for bad in [
            "projects/",
            "projects/a/b",
            "project/a",
            "a",
            "",
            "projects/a b",
        ] {
            assert_eq!(project_name(bad), None, "accepted {bad}");
        }
    }
}
