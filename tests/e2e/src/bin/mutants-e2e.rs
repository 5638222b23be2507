//! `make mutants-e2e`: proof that the black-box suite guards what lives in
//! the workers. Each deliberate break below is applied in turn to a scratch
//! copy of the committed tree, the wasm is rebuilt, and the black-box suite
//! (scripts/test.sh with E2E_ONLY=1) runs against it. A break the suite does
//! not fail on is a hole in the tests. Prints a table and fails if any break
//! went uncaught. Slow (a rebuild and a suite run per break): not part of
//! `make test`.

use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

/// One edit of a break: in `file`, `text` becomes `replacement`.
struct Edit {
    file: &'static str,
    text: &'static str,
    replacement: &'static str,
}

const fn edit(file: &'static str, text: &'static str, replacement: &'static str) -> Edit {
    Edit {
        file,
        text,
        replacement,
    }
}

/// The breaks, each a name and its edits: a guard kept in two layers is
/// broken in both, or the other layer would hide it. Each text must be in
/// its file: a break that no longer applies fails the run, so this list
/// follows the code.
const BREAKS: &[(&str, &[Edit])] = &[
    ("csrf-api-anyone", &[edit("shared/edge/src/router.rs",
        "Handler::Anyone(handler) => {\n                csrf::refuse_cross_site(&cx.req)?;",
        "Handler::Anyone(handler) => {")]),
    ("csrf-api-user", &[edit("shared/edge/src/router.rs",
        "Handler::User(handler) => {\n                csrf::refuse_cross_site(&cx.req)?;",
        "Handler::User(handler) => {")]),
    ("csrf-forms", &[edit("pages/src/forms.rs", "edge::csrf::refuse_cross_site(req)?;", "")]),
    ("version-tickets-read-model", &[edit("workers/tickets/src/read_model.rs",
        "WHERE excluded.version > tickets.version", "WHERE 1")]),
    ("version-orders-read-model", &[edit("workers/orders/src/read_model.rs",
        "WHERE excluded.version > orders.version", "WHERE 1")]),
    ("payment-event-dedupe", &[edit("workers/payments/src/store.rs",
        "ON CONFLICT (provider_ref) DO NOTHING",
        "ON CONFLICT (provider_ref) DO UPDATE SET id = excluded.id, status = 'succeeded'")]),
    ("owner-show-order", &[edit("workers/orders/src/routes.rs",
        "if location.user_id != user.id {", "if false {")]),
    ("owner-edit-ticket", &[edit("shared/domain/src/desk/rules.rs",
        "if ticket.user_id != *user_id {", "if false {")]),
    ("owner-cancel-order", &[
        edit("workers/orders/src/routes.rs", "if location.user_id != user.id {", "if false {"),
        edit("shared/domain/src/desk/rules.rs",
            "pub fn cancel_order(order: &Order, by: &UserId) -> Verdict {\n    if order.user_id != *by {",
            "pub fn cancel_order(order: &Order, by: &UserId) -> Verdict {\n    if false {"),
    ]),
    ("owner-pay", &[
        edit("workers/orders/src/routes.rs", "if location.user_id != user.id {", "if false {"),
        edit("shared/domain/src/desk/rules.rs",
            "now: i64) -> Verdict {\n    if order.user_id != *by {",
            "now: i64) -> Verdict {\n    if false {"),
    ]),
    ("one-object-per-ticket", &[edit("shared/edge/src/desk_client.rs",
        ".id_from_name(ticket_id.as_str())", ".id_from_name(\"every-ticket\")")]),
];

/// Runs a command in `dir`, its output to `log`; whether it succeeded.
fn run(dir: &Path, log: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> bool {
    let Ok(out) = fs::File::create(log) else {
        return false;
    };
    let Ok(err) = out.try_clone() else {
        return false;
    };
    Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .status()
        .is_ok_and(|status| status.success())
}

/// Applies a break's edits in the scratch tree; the original texts, to put back.
fn apply(tree: &Path, name: &str, edits: &[Edit]) -> Result<Vec<(String, String)>, String> {
    let mut originals = Vec::new();
    for edit in edits {
        let path = tree.join(edit.file);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", edit.file))?;
        if !text.contains(edit.text) {
            return Err(format!(
                "break {name}: {} no longer contains {:?}",
                edit.file, edit.text
            ));
        }
        if !originals.iter().any(|(file, _)| file == edit.file) {
            originals.push((edit.file.to_string(), text.clone()));
        }
        fs::write(&path, text.replacen(edit.text, edit.replacement, 1))
            .map_err(|e| e.to_string())?;
    }
    Ok(originals)
}

fn main() -> ExitCode {
    let root = stack::root();
    let work = root.join("target/mutants-e2e");
    let tree = work.join("tree");
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(&tree).expect("the scratch folder");
    // A scratch copy of the committed tree, with its own build cache; the
    // breaks' files are put back (newer than any build) after each.
    let archive = Command::new("sh")
        .arg("-c")
        .arg(format!("git archive HEAD | tar -x -C '{}'", tree.display()))
        .current_dir(&root)
        .status();
    assert!(archive.is_ok_and(|s| s.success()), "git archive");
    std::os::unix::fs::symlink(root.join("node_modules"), tree.join("node_modules"))
        .expect("node_modules");
    fs::copy(root.join(".dev.vars"), tree.join(".dev.vars")).expect("the .dev.vars");
    let target = work.join("cargo");
    let target = target.to_str().expect("a UTF-8 path");
    let cargo_env = [("CARGO_TARGET_DIR", target)];
    eprintln!("==> building the unbroken scratch tree");
    assert!(
        run(
            &tree,
            &work.join("clean.build.log"),
            "scripts/build.sh",
            &[],
            &cargo_env
        ),
        "the unbroken build"
    );

    let mut verdicts = Vec::new();
    for (name, edits) in BREAKS {
        eprintln!("==> break: {name}");
        let originals = match apply(&tree, name, edits) {
            Ok(originals) => originals,
            Err(why) => {
                eprintln!("{why}");
                return ExitCode::FAILURE;
            }
        };
        let built = run(
            &tree,
            &work.join(format!("{name}.build.log")),
            "scripts/build.sh",
            &[],
            &cargo_env,
        );
        let test_env = [cargo_env[0], ("E2E_ONLY", "1")];
        let verdict = if !built {
            "unviable (does not build)"
        } else if run(
            &tree,
            &work.join(format!("{name}.test.log")),
            "scripts/test.sh",
            &[],
            &test_env,
        ) {
            "MISSED"
        } else {
            "caught"
        };
        eprintln!("    {name}: {verdict}");
        verdicts.push((name, verdict));
        for (file, text) in originals {
            fs::write(tree.join(file), text).expect("putting the file back");
        }
    }
    println!("\n| break | verdict |\n|---|---|");
    for (name, verdict) in &verdicts {
        println!("| {name} | {verdict} |");
    }
    let missed = verdicts.iter().filter(|(_, v)| *v == "MISSED").count();
    println!(
        "mutants-e2e: {} caught, {missed} missed (logs in target/mutants-e2e/)",
        verdicts.len() - missed
    );
    if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
