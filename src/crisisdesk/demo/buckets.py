"""Counts per time bucket over a sliding window of stream time, for the demo's dashboard."""

from __future__ import annotations

from collections import deque


class BucketSeries:
    """Counts per time bucket (minute or hour) for the most recent ``keep`` buckets of stream time.

    Buckets are integer indexes (minutes or hours since the epoch) in ascending order in a deque. Posts
    arrive roughly in order, so appending and pruning from the left is the normal path; a late post
    walks back a few buckets, and one older than the kept range only counts in the totals.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._buckets: deque[list[int]] = deque()  # [bucket index, count]

    def add(self, bucket: int, now_bucket: int, count: int = 1) -> None:
        if bucket <= now_bucket - self.keep:
            return
        buckets = self._buckets
        if not buckets or buckets[-1][0] < bucket:
            buckets.append([bucket, count])
        else:
            for i in range(len(buckets) - 1, -1, -1):
                if buckets[i][0] == bucket:
                    buckets[i][1] += count
                    break
                if buckets[i][0] < bucket:
                    buckets.insert(i + 1, [bucket, count])
                    break
            else:
                buckets.appendleft([bucket, count])
        self.prune(now_bucket)

    def prune(self, now_bucket: int) -> None:
        while self._buckets and self._buckets[0][0] <= now_bucket - self.keep:
            self._buckets.popleft()

    def total(self, now_bucket: int) -> int:
        """Sum over the ``keep`` buckets ending with ``now_bucket`` (inclusive)."""
        return sum(c for b, c in self._buckets if now_bucket - self.keep < b <= now_bucket)

    def series(self, now_bucket: int) -> list[int]:
        first = now_bucket - self.keep + 1
        out = [0] * self.keep
        for bucket, count in self._buckets:
            if first <= bucket <= now_bucket:
                out[bucket - first] += count
        return out

    def __len__(self) -> int:
        return len(self._buckets)
