//! Which orders count and what each is worth, as SQL over `orders o`: one rule for the 360's
//! statistics, the dashboard and the engine's order facts. Macros, so queries can `concat!`
//! them into constant text.

/// Orders that moved money: pending, cancelled and closed orders never count.
macro_rules! counted_order {
    () => {
        "o.status IN ('paid', 'shipped', 'completed', 'refunded', 'partially_refunded')"
    };
}

/// What an order brought in: paid less refunded, nothing for a wholly refunded one.
macro_rules! order_value {
    () => {
        "CASE WHEN o.status = 'refunded' THEN 0 \
         WHEN o.total_minor > o.refunded_minor THEN o.total_minor - o.refunded_minor ELSE 0 END"
    };
}

pub(crate) use {counted_order, order_value};
