//! Sending many queued changes in one request (`POST /api/v1/changes`). Each change is
//! still turned into its request, and its answer read, by [`Client::submit`]: here those
//! requests are gathered instead of sent, go as one batch, and each answer goes back to
//! the `submit` that asked. So a change is described once, whether it goes alone or not.

use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use reqwest::Method;
use tokio::sync::{Notify, oneshot};

use super::{Applied, Client, ClientError, Mutation};
use crate::api::{BatchAnswer, BatchAnswers, BatchedChange, ChangeBatch, Problem};

type Exchanged = Result<Option<Vec<u8>>, ClientError>;

/// A `Client` taking part in a batch: its one request is gathered, not sent.
#[derive(Clone)]
pub(super) struct BatchSeat {
    batch: Arc<Gathering>,
    index: usize,
}

struct Gathering {
    state: Mutex<Gathered>,
    changed: Notify,
}

struct Gathered {
    asked: Vec<Option<(BatchedChange, oneshot::Sender<Exchanged>)>>,
    /// The change's `submit` has returned, perhaps without asking (bad before sending).
    finished: Vec<bool>,
    sent: bool,
}

impl BatchSeat {
    /// The answer to this change's request, or `None` when the batch has already gone (a
    /// second request of the same change then goes alone).
    pub(super) async fn ask(&self, change: BatchedChange) -> Option<Exchanged> {
        let answer = {
            let mut gathered = self.batch.lock();
            if gathered.sent || gathered.asked[self.index].is_some() {
                return None;
            }
            let (tell, answer) = oneshot::channel();
            gathered.asked[self.index] = Some((change, tell));
            answer
        };
        self.batch.changed.notify_one();
        Some(answer.await.unwrap_or_else(|_| {
            Err(ClientError::Unexpected(
                "the batch ended without an answer".into(),
            ))
        }))
    }
}

impl Gathering {
    fn lock(&self) -> std::sync::MutexGuard<'_, Gathered> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish(&self, index: usize) {
        self.lock().finished[index] = true;
        self.changed.notify_one();
    }

    /// Waits until every change has asked or finished, then takes what was asked.
    async fn gathered(&self) -> Vec<(BatchedChange, oneshot::Sender<Exchanged>)> {
        loop {
            let changed = self.changed.notified();
            {
                let mut gathered = self.lock();
                let all_in = (0..gathered.asked.len())
                    .all(|i| gathered.asked[i].is_some() || gathered.finished[i]);
                if all_in {
                    gathered.sent = true;
                    return gathered.asked.iter_mut().filter_map(Option::take).collect();
                }
            }
            changed.await;
        }
    }
}

impl Client {
    /// Sends `mutations` as one batch, in order: each one's result as `submit` would give
    /// it. The server stops at a change that failed on its side; those after it come back
    /// as transient failures, not tried. `Err` when the batch as a whole was not taken (the
    /// server is unreachable, or does not know batches): then none of it was applied.
    pub async fn submit_batch(
        &self,
        mutations: &[Mutation],
    ) -> Result<Vec<Result<Applied, ClientError>>, ClientError> {
        let batch = Arc::new(Gathering {
            state: Mutex::new(Gathered {
                asked: (0..mutations.len()).map(|_| None).collect(),
                finished: vec![false; mutations.len()],
                sent: false,
            }),
            changed: Notify::new(),
        });
        let submits = mutations.iter().enumerate().map(|(index, mutation)| {
            let mut seated = self.clone();
            seated.batch = Some(BatchSeat {
                batch: batch.clone(),
                index,
            });
            let batch = batch.clone();
            async move {
                let result = seated.submit(mutation).await;
                batch.finish(index);
                result
            }
        });
        let send = async {
            let asked = batch.gathered().await;
            let (changes, tells): (Vec<_>, Vec<_>) = asked.into_iter().unzip();
            let sent = self
                .post_batch(&ChangeBatch { changes })
                .await
                .map(|a| a.answers);
            match sent {
                Ok(answers) => {
                    let mut answers = answers.into_iter();
                    for tell in tells {
                        let _ = tell.send(answers.next().map_or_else(not_tried, as_exchanged));
                    }
                    Ok(())
                }
                Err(e) => {
                    for tell in tells {
                        let _ = tell.send(Err(ClientError::Unreachable(format!(
                            "the batch was not taken: {e}"
                        ))));
                    }
                    Err(e)
                }
            }
        };
        let (results, sent) = tokio::join!(join_all(submits), send);
        sent.map(|()| results)
    }

    async fn post_batch(&self, batch: &ChangeBatch) -> Result<BatchAnswers, ClientError> {
        let mut alone = self.clone();
        alone.batch = None;
        alone
            .send::<BatchAnswers>(Method::POST, "api/v1/changes", &[], Some(batch))
            .await?
            .ok_or_else(|| ClientError::Unexpected("empty answer to a batch".into()))
    }
}

fn not_tried() -> Exchanged {
    Err(ClientError::Unreachable(
        "not tried: a change before it in its batch failed on the server".into(),
    ))
}

/// A change's answer in a batch, as its own request would have been read.
fn as_exchanged(answer: BatchAnswer) -> Exchanged {
    match answer.status {
        204 => Ok(None),
        200..=299 => Ok(Some(answer.body.get().as_bytes().to_vec())),
        status => match serde_json::from_str::<Problem>(answer.body.get()) {
            Ok(problem) => Err(ClientError::Problem(Box::new(problem))),
            Err(_) => Err(ClientError::Unexpected(format!("HTTP {status}"))),
        },
    }
}
