"""The pipeline's topics in the distributed mode, and the prepared batch that crosses between them.

```
front ends ──► ingest.raw ──(group prepare: every worker)──► ingest.prepared ──(group store: the lease holder)
               raw items      normalize, analyse               posts as rows      dedupe, match, store,
                                                                                  detect, escalate
```

The expensive, stateless part (validation, language, sentiment, insults, complaint types) runs in
every worker in parallel; the part that keeps state (which posts are known, the detection engine,
the escalation timers) runs in the one worker that holds the pipeline lease, in one transaction per
batch. A batch redelivered after a crash is harmless at both steps: preparing is pure, and the store
step finds every post of a batch it already committed known and unchanged, so nothing is stored,
counted, detected or sent twice.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.bus.base import INGEST_TOPIC, Message
from crisisdesk.bus.redis_streams import RedisBus
from crisisdesk.pipeline import stages
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.pipeline.events import NormalizedPost, RawItem, Rejection, jsonable

PREPARED_TOPIC = "ingest.prepared"
PREPARE_GROUP = "prepare"
STORE_GROUP = "store"
#: Every (topic, group) of the pipeline, created from the start of the stream by whichever process
#: comes first, so that nothing published before the first worker started is missed.
PIPELINE_GROUPS = ((INGEST_TOPIC, PREPARE_GROUP), (PREPARED_TOPIC, STORE_GROUP))


def ensure_groups(bus: RedisBus) -> None:
    for topic, group in PIPELINE_GROUPS:
        bus.subscribe(topic, group, from_start=True)


def prepare(message: Message, *, enricher: Enricher | None, max_text_chars: int,
            version: int | None) -> Message:
    """normalize and analyse one raw batch; the posts go on as rows (``NormalizedPost.to_row``).
    ``version`` is the configuration the analysis ran with: the store step analyses again when
    its own differs (a change of the ``analysis`` section between the two steps)."""
    items = RawItem.batch_from_message(message)
    result = stages.normalize(items, max_text_chars=max_text_chars)
    if enricher is not None:
        stages.enrich(result.posts, enricher)
    out: Message = {
        "read": len(items),
        "version": version,
        "enriched": enricher is not None,
        "posts": [p.to_row() for p in result.posts],
        "rejections": [[r.source, r.position, r.reason, jsonable(r.data)] for r in result.rejections],
    }
    if isinstance(message.get("reply"), str):  # a front end waits to say what was stored
        out["reply"] = message["reply"]
    return out


def unpack(message: Message) -> tuple[int, stages.NormalizeResult, Any, bool]:
    """(items read, the normalize stage's result, the configuration version, analysed or not)."""
    posts = [NormalizedPost.from_row(row) for row in message["posts"]]
    rejections = [Rejection(*row) for row in message["rejections"]]
    return (int(message["read"]), stages.NormalizeResult(posts, rejections), message.get("version"),
            bool(message.get("enriched")))
