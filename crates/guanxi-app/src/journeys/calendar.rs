//! Journeys on the calendar: triggers that fire once a day at a time of the shop's clock
//! (a customer's yearly date — birthday, first-order anniversary — or a schedule over a
//! segment), and the date a `wait_until_date` step waits for.
//!
//! A calendar trigger fires at most once a day: the day it last fired is kept as a cursor,
//! saved after the customers are entered; of several servers, the one that takes a lease
//! fires. A server that dies in between leaves it to the next after the lease, and the entry
//! rule lets nobody in twice: whoever entered since today's firing time is left out.

use super::runner::JourneyRunner;
use chrono::{Datelike, NaiveDate, NaiveTime};
use guanxi_domain::journey::calendar::{YearlyDate, local_date, scheduled_on};
use guanxi_domain::journey::{Definition, FIRST_ORDER, Trigger};
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{NewRun, StoreError, StoreResult};

/// Customer ids read at once when looking for dates.
const ID_WINDOW: i64 = 20_000;
/// Segment members read at once.
const MEMBER_PAGE: u32 = 5_000;

/// How long a server holds a calendar firing before another may take it over.
const LEASE_MS: i64 = 10 * 60_000;

/// The day a calendar trigger last fired (days from the common era, shop time).
fn cursor_name(journey: i64) -> String {
    format!("journey_calendar:{journey}")
}

/// Until when a server holds today's firing.
fn lease_name(journey: i64) -> String {
    format!("journey_calendar_lease:{journey}")
}

impl JourneyRunner {
    /// A customer's yearly date: their first order, or a trait holding a date.
    async fn date_of(
        &self,
        customer: CustomerId,
        attribute: &str,
    ) -> StoreResult<Option<YearlyDate>> {
        let store = self.messaging.store.as_ref();
        let zone = self.messaging.settings.current().time_zone;
        if attribute == FIRST_ORDER {
            let currency = self.messaging.settings.current().currency.code().to_owned();
            let facts = store.order_facts_of(&[customer], &currency).await?;
            return Ok(facts.first().map(|f| YearlyDate::of_instant(f.at, zone)));
        }
        let record = store.customer(customer).await?;
        Ok(record
            .traits
            .get(attribute)
            .and_then(|v| YearlyDate::of_value(v, zone)))
    }

    /// When a `wait_until_date` step wakes: `days_before` the customer's date at `time`, the
    /// date itself when it has a year and is still to come (unless `every_year`), else its
    /// next yearly return. `None` when the customer has no such date.
    pub(super) async fn date_wake(
        &self,
        customer: CustomerId,
        attribute: &str,
        days_before: u32,
        time: &str,
        every_year: bool,
        now: Millis,
    ) -> StoreResult<Option<Millis>> {
        let Some(date) = self.date_of(customer, attribute).await? else {
            return Ok(None);
        };
        let zone = self.messaging.settings.current().time_zone;
        let at = NaiveTime::parse_from_str(time, "%H:%M").unwrap_or_default();
        if !every_year {
            let once = date
                .year
                .and_then(|y| date.in_year(y))
                .map(|d| d - chrono::Duration::days(i64::from(days_before)))
                .and_then(|d| zone.instant_of(d.and_time(at)));
            if let Some(once) = once.filter(|t| *t > now) {
                return Ok(Some(once));
            }
        }
        Ok(date.next_after(now, days_before, at, zone))
    }

    /// Fires the calendar triggers whose time has come today and that have not fired today.
    pub(super) async fn follow_calendar(&self) -> StoreResult<u64> {
        let store = self.messaging.store.as_ref();
        let zone = self.messaging.settings.current().time_zone;
        let now = self.messaging.clock.now();
        let today = local_date(now, zone);
        let day_number = i64::from(today.num_days_from_ce());
        let mut entered = 0;
        for record in store
            .journeys()
            .await?
            .into_iter()
            .filter(|j| j.status == "active")
        {
            let definition = super::definition_of(&record)?;
            let Some(time) = definition.trigger.calendar_time() else {
                continue;
            };
            let time = NaiveTime::parse_from_str(time, "%H:%M").unwrap_or_default();
            let Some(fires_at) = zone.instant_of(today.and_time(time)) else {
                continue;
            };
            let cursor = cursor_name(record.id);
            if now < fires_at
                || store
                    .cursor(&cursor)
                    .await?
                    .is_some_and(|d| d >= day_number)
            {
                continue;
            }
            // One server fires it: the one that takes the lease. A server that dies with it
            // leaves the day to whoever comes after the lease, and the entry rule below keeps
            // anyone from entering twice.
            let lease = lease_name(record.id);
            let held = store.cursor(&lease).await?;
            if held.is_some_and(|until| until > now)
                || !store.swap_cursor(&lease, held, now + LEASE_MS).await?
            {
                continue;
            }
            let customers = self.due_today(&definition, today).await?;
            let runs = customers
                .into_iter()
                .map(|customer| NewRun {
                    journey: record.id,
                    version: record.version,
                    customer,
                    correlation: None,
                })
                .collect();
            let active = [(record.id, record.version, definition)];
            entered += self.enter(&active, runs, Some(fires_at)).await?;
            store.save_cursor(&cursor, day_number).await?;
        }
        Ok(entered)
    }

    /// Who a calendar trigger takes in on `today`.
    async fn due_today(
        &self,
        definition: &Definition,
        today: NaiveDate,
    ) -> StoreResult<Vec<CustomerId>> {
        match &definition.trigger {
            Trigger::Schedule {
                segment,
                weekdays,
                month_day,
                ..
            } => {
                if !scheduled_on(today, weekdays, *month_day) {
                    return Ok(Vec::new());
                }
                self.members_of(segment).await
            }
            Trigger::Date {
                attribute,
                days_before,
                ..
            } => self.dated(attribute, *days_before, today).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn members_of(&self, segment: &str) -> StoreResult<Vec<CustomerId>> {
        let store = self.messaging.store.as_ref();
        let id = match store.segment_id(segment).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut members = Vec::new();
        let mut after = CustomerId(0);
        loop {
            let page = store.segment_members(id, after, MEMBER_PAGE).await?;
            let Some(last) = page.last().map(|(c, _)| *c) else {
                return Ok(members);
            };
            members.extend(page.into_iter().map(|(c, _)| c));
            after = last;
        }
    }

    /// Customers whose date falls `days_before` from `today`, read in windows of ids.
    async fn dated(
        &self,
        attribute: &str,
        days_before: u32,
        today: NaiveDate,
    ) -> StoreResult<Vec<CustomerId>> {
        let store = self.messaging.store.as_ref();
        let settings = self.messaging.settings.current();
        let (zone, currency) = (settings.time_zone, settings.currency.code().to_owned());
        let max_id = store.max_customer_id().await?;
        let mut found = Vec::new();
        let mut after = 0;
        while after < max_id {
            let up_to = (after + ID_WINDOW).min(max_id);
            let (from, to) = (CustomerId(after), CustomerId(up_to));
            if attribute == FIRST_ORDER {
                let facts = store.order_facts_between(from, to, &currency).await?;
                // Facts come by customer, then time: each customer's first is their first order.
                for first in facts
                    .chunk_by(|a, b| a.customer == b.customer)
                    .filter_map(|c| c.first())
                {
                    if YearlyDate::of_instant(first.at, zone).falls_on(today, days_before, true) {
                        found.push(first.customer);
                    }
                }
            } else {
                for (customer, traits) in store.opened_traits_between(from, to).await? {
                    let date = traits
                        .get(attribute)
                        .and_then(|v| YearlyDate::of_value(v, zone));
                    if date.is_some_and(|d| d.falls_on(today, days_before, false)) {
                        found.push(customer);
                    }
                }
            }
            after = up_to;
        }
        Ok(found)
    }
}
