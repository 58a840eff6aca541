//! `mailcensus scan` as a cluster runs it: the same command line starts a run
//! and continues it after a restart.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::bed::{Bed, manifest};

/// Issue 18 item 13: with `--resume` a first run failed ("nothing to
/// resume"), without it a restart failed ("a run already exists"), so a
/// Kubernetes pod or Slurm task restarted with the same command could not
/// go on. `--resume=auto` starts when there is no run and resumes otherwise.
#[test]
fn resume_auto_starts_a_new_run_and_continues_an_existing_one() {
    let bed = Bed::start(60);
    let out = bed.dir.path().join("out");
    let list = bed.list();
    let first = bed.scan(&list, &out).arg("--resume=auto").output().unwrap();
    assert!(
        first.status.success(),
        "first start: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let m = manifest(&out);
    assert_eq!(m["complete"], true);
    assert_eq!(m["rows"], 60);
    let again = bed.scan(&list, &out).arg("--resume=auto").output().unwrap();
    let text = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "restart: {text}");
    assert!(text.contains("already complete"), "{text}");
    assert_eq!(manifest(&out)["rows"], 60);

    // Killed mid-run, then restarted with the same command line.
    let out = bed.dir.path().join("killed");
    let slow = ["--resume=auto", "--qps", "40", "--part-rows", "5"];
    let mut child = bed
        .scan(&list, &out)
        .args(slow)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let m = manifest(&out);
    assert_eq!(m["complete"], false, "the run finished before the kill");
    let restart = bed.scan(&list, &out).args(slow).output().unwrap();
    let text = String::from_utf8_lossy(&restart.stderr);
    assert!(restart.status.success(), "restart after kill: {text}");
    assert!(text.contains("resuming after"), "{text}");
    let m = manifest(&out);
    assert_eq!(
        (m["complete"].clone(), m["rows"].clone()),
        (true.into(), 60.into())
    );
}
