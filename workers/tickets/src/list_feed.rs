//! `ListFeed`: the market list's live channel (`GET /api/tickets/live`,
//! docs/live.md). One object, "market", holds every list watcher's WebSocket
//! with the hibernation API. The tickets consumer tells it each ticket change
//! it applies (`tell`), and it sends each change to the watchers it concerns:
//! those with the ticket on their page, and for a new listing those whose
//! search it matches. It keeps nothing but the sockets and what each watches.

use crate::read_model;
use domain::list_feed::{ClientMessage, FeedChange, ListWatch};
use domain::live::LiveMessage;
use domain::{ApiError, OrInternal};
use edge::RequestUrl;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, State, Stub, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

const BINDING: &str = "LIST_FEEDS";
const MARKET: &str = "market";
const WATCH_PATH: &str = "/watch";
const CHANGES_PATH: &str = "/changes";
/// How many new listings a watcher that (re)connects is told of at most.
const MISSED_LISTINGS: u32 = 50;

#[durable_object]
pub struct ListFeed {
    state: State,
    env: Env,
    /// Built from the sockets' attachments when a change first needs it
    /// after a wake; a new watcher is added to it, and it is dropped when a
    /// watcher goes or moves (a connection storm costs no rebuilds).
    watchers: RefCell<Option<Watchers>>,
}

#[derive(Default)]
struct Watchers {
    by_ticket: HashMap<String, Vec<WebSocket>>,
    all: Vec<(WebSocket, ListWatch)>,
}

impl Watchers {
    fn of(sockets: Vec<WebSocket>) -> Watchers {
        let mut watchers = Watchers::default();
        for socket in sockets {
            if let Some(watch) = attached(&socket) {
                watchers.add(socket, watch);
            }
        }
        watchers
    }

    fn add(&mut self, socket: WebSocket, watch: ListWatch) {
        for id in &watch.ids {
            let sockets = self.by_ticket.entry(id.clone()).or_default();
            sockets.push(socket.clone());
        }
        self.all.push((socket, watch));
    }
}

impl DurableObject for ListFeed {
    fn new(state: State, env: Env) -> Self {
        edge::fanout::answer_pings(&state);
        Self {
            state,
            env,
            watchers: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            WATCH_PATH => {
                let now = edge::now_ms();
                match RequestUrl::of(&req).and_then(|url| watch_of(&url, now)) {
                    Ok(watch) => self.accept_watcher(watch, now).await,
                    Err(_) => Response::error("bad watch", 400),
                }
            }
            CHANGES_PATH => {
                let changes: Vec<FeedChange> = edge::body::read_internal(&mut req).await?;
                self.broadcast(&changes);
                Response::from_json(&changes.len())
            }
            _ => Response::error("not found", 404),
        }
    }

    /// A watcher moved to another page (`{"type":"watch","ids":[…]}`);
    /// anything else it sends is ignored: the channel only pushes.
    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else {
            return Ok(());
        };
        let (Ok(ClientMessage::Watch { ids }), Some(watch)) =
            (serde_json::from_str(&text), attached(&ws))
        else {
            return Ok(());
        };
        if let Ok(moved) = watch.watching(ids) {
            attach(&ws, &moved)?;
            self.watchers.replace(None);
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        edge::fanout::close_closed(&ws);
        self.watchers.replace(None);
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        edge::fanout::close_failed(&ws);
        self.watchers.replace(None);
        Ok(())
    }
}

/// A socket's watch is its attachment (kept while the object hibernates),
/// as JSON text: `ListWatch` then has one reader, `serde_json`'s, rather
/// than a second for JS values.
fn attach(socket: &WebSocket, watch: &ListWatch) -> Result<()> {
    socket.serialize_attachment(serde_json::to_string(watch)?)
}

fn attached(socket: &WebSocket) -> Option<ListWatch> {
    let json = socket.deserialize_attachment::<String>().ok()??;
    serde_json::from_str(&json).ok()
}

impl ListFeed {
    /// Accepts a watcher and tells it first how the tickets on its page are
    /// now, then what was listed since its page was made: a watcher that
    /// reconnects after a gap has missed nothing.
    async fn accept_watcher(&self, watch: ListWatch, now: i64) -> Result<Response> {
        let (on_page, listed) = match self.first_messages(&watch, now).await {
            Ok(found) => found,
            Err(e) => {
                edge::log::error("-", "list_feed_read_failed", &e.to_string());
                return Response::error("list feed failed", 500);
            }
        };
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        attach(&pair.server, &watch)?;
        if let Some(watchers) = self.watchers.borrow_mut().as_mut() {
            watchers.add(pair.server.clone(), watch);
        }
        for ticket in on_page {
            pair.server
                .send_with_str(LiveMessage::Ticket { ticket }.to_json())?;
        }
        for ticket in listed {
            pair.server
                .send_with_str(LiveMessage::Listed { ticket }.to_json())?;
        }
        Response::from_websocket(pair.client)
    }

    async fn first_messages(
        &self,
        watch: &ListWatch,
        now: i64,
    ) -> std::result::Result<
        (
            Vec<domain::tickets::TicketView>,
            Vec<domain::tickets::TicketView>,
        ),
        ApiError,
    > {
        let on_page = read_model::by_ids(&self.env, &watch.ids).await?;
        let listed = read_model::listed_since(
            &self.env,
            watch.since,
            watch.q.as_deref(),
            now,
            MISSED_LISTINGS,
        )
        .await?;
        Ok((on_page, listed))
    }

    /// Sends each change to the watchers it concerns.
    fn broadcast(&self, changes: &[FeedChange]) {
        let mut cache = self.watchers.borrow_mut();
        let watchers = cache.get_or_insert_with(|| Watchers::of(self.state.get_websockets()));
        for change in changes {
            if let Some(sockets) = watchers.by_ticket.get(&change.ticket.id) {
                let message = LiveMessage::Ticket {
                    ticket: change.ticket.clone(),
                }
                .to_json();
                edge::fanout::send_to_all(sockets, &message);
            }
            if change.listed {
                let message = LiveMessage::Listed {
                    ticket: change.ticket.clone(),
                }
                .to_json();
                let wanting = watchers
                    .all
                    .iter()
                    .filter(|(_, watch)| watch.wants_listed(&change.ticket));
                edge::fanout::send_to_all(wanting.map(|(socket, _)| socket), &message);
            }
        }
    }
}

/// What a watcher looks at, from its URL's `ids`, `q` and `since`.
pub fn watch_of(url: &RequestUrl, now: i64) -> std::result::Result<ListWatch, ApiError> {
    let param = |name| url.query_param(name);
    ListWatch::parse(
        param("ids").as_deref(),
        param("q").as_deref(),
        param("since").as_deref(),
        now,
    )
}

fn market(env: &Env) -> std::result::Result<Stub, ApiError> {
    let namespace = env.durable_object(BINDING).context(BINDING)?;
    namespace
        .id_from_name(MARKET)
        .and_then(|id| id.get_stub())
        .context("list feed")
}

/// Connects a list watcher (`GET /api/tickets/live`, its query checked by
/// the route) to the feed.
pub async fn watch(env: &Env, query: &str) -> std::result::Result<Response, ApiError> {
    let stub = market(env)?;
    edge::object_call::open_socket(&stub, &format!("{WATCH_PATH}?{query}"))
        .await?
        .map_err(|status| ApiError::internal(format!("list feed answered {status}")))
}

/// Passes the changes the consumer applied to the feed. Best effort: the
/// read model is already right, and a watcher that missed a change gets the
/// current state when it reconnects; a failure is logged.
pub async fn tell(env: &Env, changes: &[FeedChange]) {
    if changes.is_empty() {
        return;
    }
    let told = match market(env) {
        Ok(stub) => {
            edge::object_call::call_at::<_, usize>(&stub, CHANGES_PATH, "-", &changes, || {
                "list feed".into()
            })
            .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = told {
        edge::log::error("-", "list_feed_not_told", &e.to_string());
    }
}
