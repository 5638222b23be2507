//! The order workers deploy in: a worker after every worker it binds to
//! (the Durable Object classes it uses, the services it calls), so a binding
//! never names a class or a service that is not there yet.

use crate::config::{Project, Worker};

/// The names of the workers `worker` binds to.
fn dependencies(worker: &Worker) -> Vec<&str> {
    let config = &worker.config.config;
    let objects = config.durable_objects.bindings.iter().filter_map(|b| {
        b.get_ref()
            .script_name
            .as_ref()
            .map(|s| s.get_ref().as_str())
    });
    let services = config
        .services
        .iter()
        .map(|s| s.get_ref().service.get_ref().as_str());
    objects
        .chain(services)
        .filter(|name| *name != worker.name())
        .collect()
}

/// Every worker, each after those it depends on (ties by name, so the order
/// is stable). A cycle, which `check` cannot allow through since a binding
/// must name a deployed worker, ends the list early: the caller compares
/// lengths.
pub fn deploy_order(project: &Project) -> Vec<&Worker> {
    let mut done: Vec<&Worker> = Vec::new();
    let mut left: Vec<&Worker> = project.workers.iter().collect();
    left.sort_by_key(|w| w.name().to_string());
    while let Some(i) = left.iter().position(|w| {
        dependencies(w)
            .iter()
            .all(|d| done.iter().any(|x| x.name() == *d) || project.worker(d).is_none())
    }) {
        done.push(left.remove(i));
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn workers_deploy_after_what_they_bind_to() {
        let project =
            Project::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))).unwrap();
        let order: Vec<&str> = deploy_order(&project).iter().map(|w| w.name()).collect();
        assert_eq!(
            order,
            [
                "ticketing-auth",
                "ticketing-tickets",
                "ticketing-orders",
                "ticketing-payments"
            ]
        );
    }
}
