//! One unlock of the encrypted key file (age + scrypt), at the default work factor and either side.
//! A fresh store each time, so nothing is cached: this is what the first load in a process costs.
//!
//! `cargo bench --bench scrypt`

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use pleo_keys::sandbox::HEALTHY_KEY;
use pleo_keys::secret::ApiKey;
use pleo_keys::store::{DEFAULT_SCRYPT_WORK_FACTOR, SecretStore};
use secrecy::SecretString;
use std::time::Duration;

const PASSPHRASE: &str = "correct horse battery staple";

fn given() -> Option<SecretString> {
    Some(SecretString::from(PASSPHRASE))
}

fn unlock(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let key = ApiKey::parse(HEALTHY_KEY).expect("demo key").0;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("scrypt");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for factor in [
        DEFAULT_SCRYPT_WORK_FACTOR - 1,
        DEFAULT_SCRYPT_WORK_FACTOR,
        DEFAULT_SCRYPT_WORK_FACTOR + 1,
    ] {
        let path = dir.path().join(format!("key-{factor}.age"));
        let store = SecretStore::encrypted_file(path.clone(), given(), factor).expect("store");
        rt.block_on(store.save(&key)).expect("save");
        let name = if factor == DEFAULT_SCRYPT_WORK_FACTOR {
            format!("unlock work factor {factor} (default)")
        } else {
            format!("unlock work factor {factor}")
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let fresh =
                    SecretStore::encrypted_file(path.clone(), given(), factor).expect("store");
                rt.block_on(fresh.load()).expect("load").expect("a key")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, unlock);
criterion_main!(benches);
