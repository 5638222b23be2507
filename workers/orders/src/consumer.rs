//! Consumer of the `order-events` queue: keeps the `orders` read model.

use crate::read_model;
use domain::events::Event;
use worker::{wasm_bindgen::JsValue, Env, MessageBatch};

pub async fn handle(batch: MessageBatch<JsValue>, env: &Env) -> worker::Result<()> {
    edge::events::consume(batch, |envelope| async move {
        match &envelope.event {
            Event::OrderCreated(order)
            | Event::OrderCancelled(order)
            | Event::OrderCompleted(order) => read_model::apply(env, order).await.map(drop),
            _ => Ok(()), // not ours: routing sends only order events here
        }
    })
    .await
}
