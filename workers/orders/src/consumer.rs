//! Consumer of the `order-events` queue: keeps the `orders` read model.

use crate::read_model;
use domain::events::{Event, Queue};
use edge::open_orders::OpenOrders;
use worker::{wasm_bindgen::JsValue, Env, MessageBatch};

pub async fn handle(batch: MessageBatch<JsValue>, env: &Env) -> worker::Result<()> {
    edge::events::consume(Queue::OrderEvents, batch, env, |envelope| async move {
        match &envelope.event {
            Event::OrderCreated(order) => read_model::apply(env, order).await.map(drop),
            Event::OrderCancelled(order) | Event::OrderCompleted(order) => {
                read_model::apply(env, order).await?;
                // The order ended (cancelled, expired or paid): its buyer's slot is free.
                OpenOrders::of_buyer(env, order.user_id.as_str(), &envelope.id)?
                    .free(&order.id)
                    .await
            }
            _ => Ok(()), // not ours: routing sends only order events here
        }
    })
    .await
}
