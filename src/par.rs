//! Ordered parallel work: the one place that spreads work over the machine's cores.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Run `work(i)` for every `i` in `0..n` on up to 8 threads — each takes the next index when it
/// is done, since items differ a lot in size — and hand the results to `emit` on the calling
/// thread in index order, each as soon as those before it are done. The outcome therefore does
/// not depend on the thread count or timing, and results need not all be held at once. An index
/// whose thread could not be started, or died, is worked on the calling thread at the end.
///
/// The calling thread is one of the workers: between its items it emits what is due. (Waiting
/// on the results instead made a thread more than there are cores, woken for every result: a
/// context switch per stack file.)
pub fn ordered<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync, mut emit: impl FnMut(T)) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |c| c.get())
        .clamp(1, 8)
        .min(n);
    if threads <= 1 {
        (0..n).for_each(|i| emit(work(i)));
        return;
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    let mut pending: BTreeMap<usize, T> = BTreeMap::new();
    let mut due = 0;
    let mut emit_due = |pending: &mut BTreeMap<usize, T>, due: &mut usize| {
        while let Some(t) = pending.remove(due) {
            emit(t);
            *due += 1;
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let (tx, next, work) = (tx.clone(), &next, &work);
            // a thread that cannot be started leaves its share to the others
            let _ = std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn_scoped(scope, move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || tx.send((i, work(i))).is_err() {
                        break;
                    }
                });
        }
        drop(tx);
        loop {
            pending.extend(rx.try_iter());
            emit_due(&mut pending, &mut due);
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            pending.insert(i, work(i));
        }
        for (i, t) in rx {
            pending.insert(i, t);
            emit_due(&mut pending, &mut due);
        }
    });
    emit_due(&mut pending, &mut due);
    for i in due..n {
        emit(pending.remove(&i).unwrap_or_else(|| work(i)));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_index_order_whatever_order_they_finish_in() {
        let mut got = vec![];
        // later indices finish first
        super::ordered(
            40,
            |i| {
                std::thread::sleep(std::time::Duration::from_micros(((40 - i) * 50) as u64));
                i * 2
            },
            |x| got.push(x),
        );
        assert_eq!(got, (0..40).map(|i| i * 2).collect::<Vec<_>>());
        let mut none = vec![];
        super::ordered(0, |i| i, |x| none.push(x));
        assert!(none.is_empty());
    }
}
