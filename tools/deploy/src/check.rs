//! The offline consistency check of the configs (`make deploy-check`, run by
//! `make test`): what `wrangler deploy --dry-run` cannot see because it reads
//! one config at a time.

use crate::config::{Consumer, Place, Project, Worker};
use toml::Spanned;

/// The payment provider every deployed copy must use; the local provider
/// approves test cards with no money moving (local runs set it in .dev.vars).
const PRODUCTION_PAYMENT_PROVIDER: &str = "stripe";
const STRIPE_API: &str = "https://api.stripe.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Every rule the configs break, in file order.
pub fn problems(project: &Project) -> Vec<Problem> {
    let mut found = Vec::new();
    queues_have_consumers_and_dead_letters(project, &mut found);
    consumed_queues_are_created_first(project, &mut found);
    durable_objects_are_exported_and_migrated(project, &mut found);
    services_name_workers(project, &mut found);
    databases_have_migrations(project, &mut found);
    payments_go_to_stripe(project, &mut found);
    service_workers_are_private(project, &mut found);
    found.sort_by(|a, b| (&a.place.file, a.place.line).cmp(&(&b.place.file, b.place.line)));
    found.dedup();
    found
}

fn problem(place: Place, message: String) -> Problem {
    Problem { place, message }
}

/// A dead-letter queue is named after the queue whose letters it keeps, so
/// that a reader pairs them at a glance (and this check can tell them apart).
fn dead_letter_queue_of(queue: &str) -> String {
    format!("{queue}-dlq")
}

fn is_dead_letter_queue(queue: &str) -> bool {
    queue.ends_with("-dlq")
}

/// Every queue produced to has one consumer, and that consumer hands what it
/// gives up on to a dead-letter queue (a dead-letter queue needs none itself).
fn queues_have_consumers_and_dead_letters(project: &Project, found: &mut Vec<Problem>) {
    let consumers: Vec<(&Worker, &Spanned<Consumer>)> = project
        .workers
        .iter()
        .flat_map(|w| w.config.config.queues.consumers.iter().map(move |c| (w, c)))
        .collect();
    let consumers_of = |queue: &str| {
        consumers
            .iter()
            .filter(|(_, c)| c.get_ref().queue.get_ref() == queue)
            .count()
    };
    for worker in &project.workers {
        for producer in &worker.config.config.queues.producers {
            let queue = producer.get_ref().queue.get_ref().as_str();
            if consumers_of(queue) == 0 {
                found.push(problem(
                    worker.config.place_of(&producer.get_ref().queue),
                    format!("queue \"{queue}\" is produced to but no worker consumes it: add a [[queues.consumers]] with queue = \"{queue}\" to the worker that handles it"),
                ));
            }
        }
    }
    for (worker, consumer) in &consumers {
        let c = consumer.get_ref();
        let queue = c.queue.get_ref().as_str();
        if consumers_of(queue) > 1 {
            found.push(problem(
                worker.config.place_of(&c.queue),
                format!(
                    "queue \"{queue}\" has more than one consumer: a queue delivers to one worker"
                ),
            ));
        }
        let wanted = dead_letter_queue_of(queue);
        match &c.dead_letter_queue {
            None if is_dead_letter_queue(queue) => {}
            None => found.push(problem(
                worker.config.place_of(consumer),
                format!("the consumer of queue \"{queue}\" has no dead_letter_queue: add dead_letter_queue = \"{wanted}\" (and a consumer for it)"),
            )),
            Some(dlq) if dlq.get_ref() != &wanted => found.push(problem(
                worker.config.place_of(dlq),
                format!("the dead-letter queue of \"{queue}\" must be named \"{wanted}\", not \"{}\"", dlq.get_ref()),
            )),
            Some(dlq) if consumers_of(dlq.get_ref()) == 0 => found.push(problem(
                worker.config.place_of(dlq),
                format!("dead-letter queue \"{}\" has no consumer: its letters would sit unread; add a [[queues.consumers]] with queue = \"{}\"", dlq.get_ref(), dlq.get_ref()),
            )),
            Some(_) => {}
        }
    }
}

/// `wrangler deploy` creates a queue only for a producer binding, and refuses
/// a consumer of a queue that does not exist: each consumed queue is produced
/// to by its consumer's worker or by one deployed before it.
fn consumed_queues_are_created_first(project: &Project, found: &mut Vec<Problem>) {
    let order = crate::order::deploy_order(project);
    for (position, worker) in order.iter().enumerate() {
        for consumer in &worker.config.config.queues.consumers {
            let queue = consumer.get_ref().queue.get_ref();
            let created_by_then = order[..=position].iter().any(|w| {
                w.config
                    .config
                    .queues
                    .producers
                    .iter()
                    .any(|p| p.get_ref().queue.get_ref() == queue)
            });
            if !created_by_then {
                found.push(problem(
                    worker.config.place_of(&consumer.get_ref().queue),
                    format!("nothing creates queue \"{queue}\" before {} deploys: `wrangler deploy` creates a queue only for a producer; add a [[queues.producers]] with queue = \"{queue}\" to this worker", worker.name()),
                ));
            }
        }
    }
}

/// A Durable Object binding names a class that the worker it points at
/// (`script_name`, or itself) exports, and that worker's migrations create it.
fn durable_objects_are_exported_and_migrated(project: &Project, found: &mut Vec<Problem>) {
    for worker in &project.workers {
        for binding in &worker.config.config.durable_objects.bindings {
            let b = binding.get_ref();
            let owner_name = b
                .script_name
                .as_ref()
                .map_or(worker.name(), |s| s.get_ref());
            let Some(owner) = project.worker(owner_name) else {
                let script = b.script_name.as_ref().expect("a worker finds itself");
                found.push(problem(
                    worker.config.place_of(script),
                    format!("Durable Object binding \"{}\": script_name \"{owner_name}\" is no worker of this project", b.name),
                ));
                continue;
            };
            let class = b.class_name.get_ref();
            if !owner.exported_classes.contains(class) {
                found.push(problem(
                    worker.config.place_of(&b.class_name),
                    format!(
                        "Durable Object binding \"{}\": worker \"{owner_name}\" exports no class \"{}\" (its #[durable_object] structs: {})",
                        b.name,
                        class,
                        owner.exported_classes.join(", ")
                    ),
                ));
                continue;
            }
            let migrated = owner.config.config.migrations.iter().any(|m| {
                let m = m.get_ref();
                m.new_sqlite_classes.contains(class) || m.new_classes.contains(class)
            });
            if !migrated {
                found.push(problem(
                    owner.config.place(0),
                    format!(
                        "class \"{class}\" has no migration that creates it: add [[migrations]] with new_sqlite_classes = [\"{class}\"]"
                    ),
                ));
            }
        }
    }
}

/// Every service binding, of a worker or of the Pages project, names a worker.
fn services_name_workers(project: &Project, found: &mut Vec<Problem>) {
    let known: Vec<&str> = project.workers.iter().map(Worker::name).collect();
    let mut check = |config_place: &dyn Fn(&Spanned<String>) -> Place,
                     binding: &crate::config::ServiceBinding| {
        if !known.contains(&binding.service.get_ref().as_str()) {
            let place = config_place(&binding.service);
            found.push(problem(
                place,
                format!(
                    "service binding \"{}\" names worker \"{}\", which is not one of this project's ({})",
                    binding.binding,
                    binding.service.get_ref(),
                    known.join(", ")
                ),
            ));
        }
    };
    for worker in &project.workers {
        for service in &worker.config.config.services {
            check(&|v| worker.config.place_of(v), service.get_ref());
        }
    }
    for service in &project.pages.config.services {
        check(&|v| project.pages.place_of(v), service.get_ref());
    }
}

/// Every D1 database has a migrations folder with at least one `.sql` file.
fn databases_have_migrations(project: &Project, found: &mut Vec<Problem>) {
    for worker in &project.workers {
        for database in &worker.config.config.d1_databases {
            let d = database.get_ref();
            let place = worker.config.place_of(database);
            let Some(dir) = &d.migrations_dir else {
                found.push(problem(
                    place,
                    format!(
                        "database \"{}\" has no migrations_dir: its tables would never be created",
                        d.database_name
                    ),
                ));
                continue;
            };
            let path = project.root.join(worker.config.dir()).join(dir.get_ref());
            let has_sql = std::fs::read_dir(&path).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "sql"))
            });
            if !has_sql {
                found.push(problem(
                    place,
                    format!(
                        "database \"{}\": migrations_dir \"{dir}\" holds no .sql migration",
                        d.database_name
                    ),
                ));
            }
        }
    }
}

/// The committed vars are production's: payments through Stripe's own API.
fn payments_go_to_stripe(project: &Project, found: &mut Vec<Problem>) {
    let mut provider_set = false;
    for worker in &project.workers {
        let vars = &worker.config.config.vars;
        if let Some(provider) = vars.get("PAYMENT_PROVIDER") {
            provider_set = true;
            if provider.get_ref().as_str() != Some(PRODUCTION_PAYMENT_PROVIDER) {
                found.push(problem(
                    worker.config.place_of(provider),
                    format!("[vars] PAYMENT_PROVIDER must be \"{PRODUCTION_PAYMENT_PROVIDER}\" in a deployed config (local runs set \"local\" in .dev.vars)"),
                ));
            }
        }
        if let Some(base) = vars.get("STRIPE_API_BASE") {
            if base.get_ref().as_str() != Some(STRIPE_API) {
                found.push(problem(
                    worker.config.place_of(base),
                    format!("[vars] STRIPE_API_BASE must be \"{STRIPE_API}\" in a deployed config"),
                ));
            }
        }
    }
    if !provider_set {
        if let Some(payments) = project.workers.iter().find(|w| w.folder == "payments") {
            found.push(problem(
                payments.config.place(0),
                format!("[vars] must set PAYMENT_PROVIDER = \"{PRODUCTION_PAYMENT_PROVIDER}\""),
            ));
        }
    }
}

/// The service workers are reached only through their bindings: no
/// workers.dev route, no preview URLs. Both default to on, so both must be
/// written out as false.
fn service_workers_are_private(project: &Project, found: &mut Vec<Problem>) {
    for worker in &project.workers {
        let config = &worker.config.config;
        for (key, value) in [
            ("workers_dev", &config.workers_dev),
            ("preview_urls", &config.preview_urls),
        ] {
            match value {
                Some(v) if !*v.get_ref() => {}
                Some(v) => found.push(problem(
                    worker.config.place_of(v),
                    format!("{key} must be false: the service is reached only through its binding"),
                )),
                None => found.push(problem(
                    worker.config.place_of(&config.name),
                    format!("{key} = false is missing: it defaults to true, which makes the service public"),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each rule, caught by breaking a copy of the committed configs.
    use super::*;
    use std::path::Path;

    fn repo() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// The configs, the workers' sources and the migrations, in a temporary folder.
    fn copy_of_the_configs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo().join("wrangler.toml"),
            dir.path().join("wrangler.toml"),
        )
        .unwrap();
        copy_dir(&repo().join("migrations"), &dir.path().join("migrations"));
        for worker in ["auth", "tickets", "orders", "payments"] {
            let from = repo().join("workers").join(worker);
            let to = dir.path().join("workers").join(worker);
            copy_dir(&from.join("src"), &to.join("src"));
            std::fs::copy(from.join("wrangler.toml"), to.join("wrangler.toml")).unwrap();
        }
        dir
    }

    /// Replaces `from` (which must be there once) by `to` in `file`, and
    /// answers the line where the change is.
    fn break_config(dir: &Path, file: &str, from: &str, to: &str) -> usize {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{from:?} in {file}");
        let at = text.find(from).unwrap();
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        1 + text[..at].matches('\n').count()
    }

    fn problems_in(dir: &Path) -> Vec<String> {
        problems(&Project::load(dir).unwrap())
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    fn line_of(dir: &Path, file: &str, text: &str) -> usize {
        let all = std::fs::read_to_string(dir.join(file)).unwrap();
        1 + all[..all.find(text).expect(text)].matches('\n').count()
    }

    /// Some problem names the file, a line of the broken table, and says `says`.
    fn assert_found(dir: &Path, file: &str, line_to_fix: usize, says: &str) {
        let found = problems_in(dir);
        let matching = found
            .iter()
            .find(|p| p.contains(says) && p.starts_with(&format!("{file}:")))
            .unwrap_or_else(|| panic!("{says:?} in {file} not in {found:#?}"));
        assert_place(matching, file, line_to_fix);
    }

    fn assert_place(problem: &str, file: &str, line_to_fix: usize) {
        let (place, _) = problem.split_once(": ").unwrap();
        let (at_file, line) = place.rsplit_once(':').unwrap();
        assert_eq!(at_file, file, "{problem}");
        let line: usize = line.parse().unwrap();
        assert!(
            line.abs_diff(line_to_fix) <= 6,
            "line {line}, broken at {line_to_fix}: {problem}"
        );
    }

    /// The one problem found names the file, a line of the broken table, and says `says`.
    fn assert_one_problem(dir: &Path, file: &str, line_to_fix: usize, says: &str) {
        let found = problems_in(dir);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (place, message) = found[0].split_once(": ").unwrap();
        let (at_file, line) = place.rsplit_once(':').unwrap();
        assert_eq!(at_file, file, "{found:?}");
        let line: usize = line.parse().unwrap();
        assert!(
            line.abs_diff(line_to_fix) <= 6,
            "line {line}, broken at {line_to_fix}: {found:?}"
        );
        assert!(message.contains(says), "{message}");
    }

    #[test]
    fn the_committed_configs_pass() {
        assert_eq!(problems_in(repo()), Vec::<String>::new());
    }

    #[test]
    fn a_consumed_queue_needs_a_producer_deployed_no_later() {
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/tickets/wrangler.toml",
            "binding = \"TICKET_EVENTS_DLQ\"\nqueue = \"ticket-events-dlq\"",
            "binding = \"TICKET_EVENTS_DLQ\"\nqueue = \"ticket-events-dead\"",
        );
        let line = line_of(
            dir.path(),
            "workers/tickets/wrangler.toml",
            "queue = \"ticket-events-dlq\"\nmax_batch_size",
        );
        assert_found(
            dir.path(),
            "workers/tickets/wrangler.toml",
            line,
            "nothing creates queue \"ticket-events-dlq\" before ticketing-tickets deploys",
        );
    }

    #[test]
    fn a_queue_produced_to_needs_a_consumer() {
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/orders/wrangler.toml",
            "queue = \"order-events\"\nmax_batch_size",
            "queue = \"order-events-renamed\"\nmax_batch_size",
        );
        let line = line_of(
            dir.path(),
            "workers/tickets/wrangler.toml",
            "queue = \"order-events\"",
        );
        assert_found(
            dir.path(),
            "workers/tickets/wrangler.toml",
            line,
            "queue \"order-events\" is produced to but no worker consumes it",
        );
    }

    #[test]
    fn a_consumer_needs_a_dead_letter_queue() {
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "dead_letter_queue = \"payment-events-dlq\"\n",
            "",
        );
        let line = line_of(
            dir.path(),
            "workers/payments/wrangler.toml",
            "[[queues.consumers]]\nqueue = \"payment-events\"\n",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            line,
            "has no dead_letter_queue",
        );
    }

    #[test]
    fn a_dead_letter_queue_is_named_after_its_queue() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/tickets/wrangler.toml",
            "dead_letter_queue = \"ticket-events-dlq\"",
            "dead_letter_queue = \"ticket-events-dead\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/tickets/wrangler.toml",
            line,
            "must be named \"ticket-events-dlq\"",
        );
    }

    #[test]
    fn a_dead_letter_queue_needs_a_consumer() {
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/orders/wrangler.toml",
            "queue = \"order-events-dlq\"\nmax_batch_size",
            "queue = \"order-events-x\"\nmax_batch_size",
        );
        let line = line_of(
            dir.path(),
            "workers/orders/wrangler.toml",
            "dead_letter_queue = \"order-events-dlq\"",
        );
        assert_found(
            dir.path(),
            "workers/orders/wrangler.toml",
            line,
            "dead-letter queue \"order-events-dlq\" has no consumer",
        );
    }

    #[test]
    fn a_queue_has_one_consumer() {
        let dir = copy_of_the_configs();
        let text =
            std::fs::read_to_string(dir.path().join("workers/orders/wrangler.toml")).unwrap();
        let extra = "\n[[queues.consumers]]\nqueue = \"payment-events\"\ndead_letter_queue = \"payment-events-dlq\"\n";
        std::fs::write(
            dir.path().join("workers/orders/wrangler.toml"),
            format!("{text}{extra}"),
        )
        .unwrap();
        for file in [
            "workers/orders/wrangler.toml",
            "workers/payments/wrangler.toml",
        ] {
            let line = line_of(dir.path(), file, "queue = \"payment-events\"\n");
            assert_found(dir.path(), file, line, "has more than one consumer");
        }
    }

    #[test]
    fn a_durable_object_binding_needs_a_class_its_script_exports() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/orders/wrangler.toml",
            "class_name = \"TicketObject\"",
            "class_name = \"TicketObjects\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/orders/wrangler.toml",
            line,
            "exports no class \"TicketObjects\"",
        );
    }

    #[test]
    fn a_durable_object_binding_needs_a_script_of_this_project() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "script_name = \"ticketing-auth\"",
            "script_name = \"ticketing-users\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            line,
            "script_name \"ticketing-users\" is no worker",
        );
    }

    #[test]
    fn a_durable_object_class_needs_a_migration() {
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/tickets/wrangler.toml",
            "new_sqlite_classes = [\"TicketObject\"]",
            "new_sqlite_classes = []",
        );
        let found = problems_in(dir.path());
        assert!(!found.is_empty());
        assert!(
            found
                .iter()
                .all(|p| p.starts_with("workers/tickets/wrangler.toml:")
                    && p.contains("class \"TicketObject\" has no migration")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_service_binding_needs_a_worker_of_this_project() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "wrangler.toml",
            "service = \"ticketing-orders\"",
            "service = \"ticketing-order\"",
        );
        assert_one_problem(
            dir.path(),
            "wrangler.toml",
            line,
            "names worker \"ticketing-order\"",
        );
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "service = \"ticketing-orders\"",
            "service = \"orders\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            line,
            "names worker \"orders\"",
        );
    }

    #[test]
    fn a_database_needs_migrations() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/auth/wrangler.toml",
            "migrations_dir = \"../../migrations/auth\"",
            "migrations_dir = \"../../migrations/users\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/auth/wrangler.toml",
            line,
            "holds no .sql migration",
        );
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/orders/wrangler.toml",
            "migrations_dir = \"../../migrations/orders\"\n",
            "",
        );
        let line = line_of(
            dir.path(),
            "workers/orders/wrangler.toml",
            "[[d1_databases]]",
        );
        assert_one_problem(
            dir.path(),
            "workers/orders/wrangler.toml",
            line,
            "has no migrations_dir",
        );
    }

    #[test]
    fn production_vars_select_stripe() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "PAYMENT_PROVIDER = \"stripe\"",
            "PAYMENT_PROVIDER = \"local\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            line,
            "PAYMENT_PROVIDER must be \"stripe\"",
        );
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "STRIPE_API_BASE = \"https://api.stripe.com\"",
            "STRIPE_API_BASE = \"http://127.0.0.1:9999\"",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            line,
            "STRIPE_API_BASE must be",
        );
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/payments/wrangler.toml",
            "PAYMENT_PROVIDER = \"stripe\"\n",
            "",
        );
        assert_one_problem(
            dir.path(),
            "workers/payments/wrangler.toml",
            1,
            "must set PAYMENT_PROVIDER",
        );
    }

    #[test]
    fn service_workers_are_not_public() {
        let dir = copy_of_the_configs();
        let line = break_config(
            dir.path(),
            "workers/orders/wrangler.toml",
            "workers_dev = false",
            "workers_dev = true",
        );
        assert_one_problem(
            dir.path(),
            "workers/orders/wrangler.toml",
            line,
            "workers_dev must be false",
        );
        let dir = copy_of_the_configs();
        break_config(
            dir.path(),
            "workers/auth/wrangler.toml",
            "preview_urls = false\n",
            "",
        );
        let line = line_of(dir.path(), "workers/auth/wrangler.toml", "name = ");
        assert_one_problem(
            dir.path(),
            "workers/auth/wrangler.toml",
            line,
            "preview_urls = false is missing",
        );
    }
}
