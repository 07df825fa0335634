"""Prefix-cached scoring for Hugging Face causal LMs: the fast path of HFBackend.

Why it is fast (a CPU forward pass is matmul-bound, so the lever is less work):
- The tokens every request of a group shares (instruction + one-shot example, and any common start
  of the items) run once; their KV cache is expanded to each batch.
- Item bodies run batched, length-bucketed, right-padded; only the hidden state at each item's last
  real position goes through the output layer (63% of Gemma-3's weights), never every position's logits.
- Cloze: each item body runs once; its options then run on top of the body's KV cache.

Log-probabilities are normalised over the full vocabulary (one output-layer row block per scored
position, cheap next to the body): the model's true log-probs, equal to a brute-force forward to ~1e-5.

Right padding leaves holes (pad keys) between an item's body and its options in the cloze stage; with explicit position
ids and the attention mask that is exact for full attention and for sliding windows longer than the sequence. Where a
sequence reaches the sliding window, options run in groups of equal body length so there are no holes.
"""

from __future__ import annotations

import inspect
import os
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from clika.errors import BackendError

Ids = Sequence[Sequence[int]]  # token ids per request
KV = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [batch, kv_heads, seq, head_dim]
HEAD_ROWS = 64  # output-layer rows computed at once: bounds the [rows, vocab] logits buffer


def shared_length(seqs: Sequence[Sequence[int]]) -> int:
    """Longest common token prefix, leaving at least one token of each sequence to run."""
    common = len(os.path.commonprefix([list(s) for s in seqs]))  # works on any lists, not only paths
    return max(0, min(common, min(len(s) for s in seqs) - 1))


def right_pad(seqs: Sequence[Sequence[int]], pad: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    return pad_sequence([torch.as_tensor(s, dtype=torch.long) for s in seqs], batch_first=True, padding_value=pad), lens


def length_buckets(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices sorted by length, in batches: similar lengths share a batch, so little padding."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


class PrefixCachedScorer:
    """Scores token sequences with a shared-prefix KV cache. Inputs are token ids."""

    def __init__(self, model, batch_size: int = 16, max_cached_prefixes: int = 8):
        self.model = model
        self.base = model.base_model
        self.out_proj = model.get_output_embeddings()
        self.batch_size = max(1, batch_size)
        self.device = next(model.parameters()).device
        self.config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.window = getattr(self.config, "sliding_window", None) if _has_sliding_layers(self.config) else None
        params = inspect.signature(self.base.forward).parameters
        self.cache_kwarg = "cache" if "cache" in params else "past_key_values"  # renamed in transformers 5
        self._prefixes: OrderedDict[tuple[int, ...], KV] = OrderedDict()
        self._max_cached = max_cached_prefixes

    def postprocess_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """What the model's own forward does after its output layer (checked by verify_head)."""
        cap = getattr(self.config, "final_logit_softcapping", None)
        if cap:  # Gemma 2/3
            logits = torch.tanh(logits / cap) * cap
        scale = getattr(self.config, "logit_scale", None)
        if scale and not isinstance(scale, bool):  # Cohere
            logits = logits * scale
        divisor = getattr(self.config, "logits_scaling", None)
        if divisor:  # Granite
            logits = logits / divisor
        return logits

    def target_logprobs(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """hidden [N, H], targets [N, K] token ids -> log p(target | position) [N, K]."""
        out = []
        for start in range(0, hidden.shape[0], HEAD_ROWS):
            logits = self.postprocess_logits(self.out_proj(hidden[start:start + HEAD_ROWS])).float()
            picked = logits.gather(1, targets[start:start + HEAD_ROWS])
            out.append(picked - torch.logsumexp(logits, dim=-1, keepdim=True))
        return torch.cat(out) if out else hidden.new_zeros((0, targets.shape[1]))

    @torch.inference_mode()
    def verify_head(self, ids: Sequence[int]) -> None:
        """Refuse models whose logits our head does not reproduce (unknown post-processing)."""
        x = torch.as_tensor([list(ids)], device=self.device)
        want = torch.log_softmax(self.model(input_ids=x).logits[0, -1].float(), -1)
        hidden = self.base(input_ids=x).last_hidden_state[0, -1:]
        got = self.target_logprobs(hidden, torch.arange(want.shape[0], device=self.device)[None])[0]
        if not torch.allclose(got, want, atol=1e-3, rtol=1e-3):
            raise BackendError(f"{type(self.model).__name__}: clika's fast scoring path does not reproduce this "
                               "model's logits (unknown output post-processing)")

    def _forward(self, kv: KV | None, mask: torch.Tensor, ids: torch.Tensor, start: torch.Tensor):
        """Run ``ids`` [B, L] after cached ``kv``; mask covers cache + ids; start = first position id."""
        from transformers import DynamicCache

        pos = start[:, None] + torch.arange(ids.shape[1])[None, :]
        ids, mask, pos = (t.to(self.device) for t in (ids, mask, pos))
        cache = DynamicCache(ddp_cache_data=kv or [])  # no config: plain layers that keep every position
        out = self.base(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True,
                        **{self.cache_kwarg: cache})
        cache = getattr(out, "cache", None) or out.past_key_values
        if hasattr(cache, "layers"):
            return out.last_hidden_state, [(layer.keys, layer.values) for layer in cache.layers]
        return out.last_hidden_state, [(k, v) for k, v in cache.to_legacy_cache()]  # transformers 4.x

    def prefix_kv(self, shared: Sequence[int]) -> KV:
        key = tuple(shared)
        if key in self._prefixes:
            self._prefixes.move_to_end(key)
            return self._prefixes[key]
        ids = torch.as_tensor([list(shared)], dtype=torch.long)
        _, kv = self._forward(None, torch.ones_like(ids), ids, torch.zeros(1, dtype=torch.long))
        self._prefixes[key] = kv
        if len(self._prefixes) > self._max_cached:
            self._prefixes.popitem(last=False)
        return kv

    def _run_bodies(self, contexts: Sequence[Sequence[int]], shared: int, rows: np.ndarray):
        """Bodies of ``rows`` after the shared prefix: (last hidden [B,H], kv, full mask, body lengths)."""
        kv = self.prefix_kv(contexts[rows[0]][:shared])
        ids, lens = right_pad([contexts[r][shared:] for r in rows])
        batch = len(rows)
        expanded = [(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in kv]
        body_mask = (torch.arange(ids.shape[1])[None, :] < lens[:, None]).long()
        mask = torch.cat([torch.ones(batch, shared, dtype=torch.long), body_mask], dim=1)
        hidden, kv_out = self._forward(expanded, mask, ids, torch.full((batch,), shared))
        last = hidden[torch.arange(batch), (lens - 1).to(hidden.device)]
        return last, kv_out, mask, lens

    def _batches(self, contexts: Ids, group_ids: Sequence[int]):
        """(shared prefix length, request indices) per batch: requests of one group share their prefix
        text; each group runs in length buckets."""
        group_ids = np.asarray(group_ids)
        for g in np.unique(group_ids):
            members = np.flatnonzero(group_ids == g)
            shared = shared_length([contexts[m] for m in members])
            for bucket in length_buckets([len(contexts[m]) for m in members], self.batch_size):
                yield shared, members[bucket]

    @torch.inference_mode()
    def next_token_logprobs(self, contexts: Ids, group_ids: Sequence[int], targets: Ids) -> list[list[float]]:
        """log p(targets[i][j] | contexts[i]) at the position right after each context."""
        out: list[list[float]] = [[] for _ in contexts]
        for shared, rows in self._batches(contexts, group_ids):
            last, _, _, _ = self._run_bodies(contexts, shared, rows)
            wanted, _ = right_pad([targets[r] for r in rows])
            scores = self.target_logprobs(last, wanted.to(self.device)).cpu().numpy()
            for i, r in enumerate(rows):
                out[r] = scores[i, :len(targets[r])].tolist()
        return out

    @torch.inference_mode()
    def loglikelihoods(self, contexts: Ids, group_ids: Sequence[int],
                       continuations: Sequence[Ids]) -> list[list[tuple[float, int]]]:
        """Sum of log p(continuation tokens | context) and their count, per context and continuation."""
        out: list[list[tuple[float, int]]] = [[] for _ in contexts]
        for shared, rows in self._batches(contexts, group_ids):
            for r, sums in zip(rows, self._cloze_batch(contexts, continuations, shared, rows)):
                out[r] = [(float(s), len(c)) for s, c in zip(sums, continuations[r])]
        return out

    def _cloze_batch(self, contexts, continuations, shared: int, rows: np.ndarray) -> list[np.ndarray]:
        last, kv, mask, lens = self._run_bodies(contexts, shared, rows)
        conts = [continuations[r] for r in rows]
        firsts, _ = right_pad([[c[0] if c else 0 for c in cs] for cs in conts])
        first_lp = self.target_logprobs(last, firsts.to(self.device)).cpu().numpy()
        sums = [np.where([len(c) > 0 for c in cs], first_lp[i, :len(cs)], 0.0) for i, cs in enumerate(conts)]
        # Options longer than one token: run their tokens[:-1] on top of their item's body cache.
        pairs = [(i, j) for i, cs in enumerate(conts) for j, c in enumerate(cs) if len(c) > 1]
        if not pairs:
            return sums
        total = shared + int(lens.max()) + max(len(c) for cs in conts for c in cs)
        exact_holes = self.window is None or total < self.window
        by_key: dict[int, list[tuple[int, int]]] = {}
        for i, j in pairs:
            by_key.setdefault(0 if exact_holes else int(lens[i]), []).append((i, j))
        step = 4 * self.batch_size  # option sequences are short: more of them per forward
        for chunk in (g[i:i + step] for g in by_key.values() for i in range(0, len(g), step)):
            items = torch.tensor([i for i, _ in chunk])
            past = shared + int(lens[items].max())  # drop pad keys beyond this chunk's longest body
            sub_kv = [(k[items, :, :past], v[items, :, :past]) for k, v in kv]
            ids, clens = right_pad([conts[i][j][:-1] for i, j in chunk])
            opt_mask = (torch.arange(ids.shape[1])[None, :] < clens[:, None]).long()
            hidden, _ = self._forward(sub_kv, torch.cat([mask[items, :past], opt_mask], 1), ids, shared + lens[items])
            real = opt_mask.bool()
            tgt, _ = right_pad([conts[i][j][1:] for i, j in chunk])
            lp = self.target_logprobs(hidden[real.to(hidden.device)], tgt[real][:, None].to(self.device))[:, 0]
            pair_of_token = torch.arange(len(chunk)).repeat_interleave(clens)
            per_pair = torch.zeros(len(chunk), dtype=lp.dtype).index_add_(0, pair_of_token, lp.cpu())
            for (i, j), s in zip(chunk, per_pair.numpy()):
                sums[i][j] += s
        return sums


def _has_sliding_layers(config) -> bool:
    types = getattr(config, "layer_types", None)
    if types:
        return any("sliding" in t for t in types)
    return getattr(config, "sliding_window", None) is not None and getattr(config, "use_sliding_window", True)
