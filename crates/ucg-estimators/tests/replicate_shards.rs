//! Replicates run in shards over seed ranges are the replicates of one run: replicate `r` always uses the
//! stream `stream(seed, r)`, whichever range it was run in.

use rand::RngExt;
use ucg_estimators::replicates::run_replicates;

#[test]
fn shards_reproduce_one_run() {
    let draw = |r: u64, rng: &mut ucg_estimators::seeding::StreamRng| Ok((r, rng.random::<u64>()));
    let whole = run_replicates(5, 0, 7, draw).unwrap();
    assert_eq!(
        whole.iter().map(|w| w.0).collect::<Vec<_>>(),
        (0..7).collect::<Vec<_>>()
    );
    let mut shards = run_replicates(5, 0, 3, draw).unwrap();
    shards.extend(run_replicates(5, 3, 4, draw).unwrap());
    assert_eq!(shards, whole);
    assert!(run_replicates(5, 2, 0, draw).unwrap().is_empty());
}
