"""A tiny randomly initialised Llama with a byte-level BPE tokenizer, saved as an HF directory.

Built here (not downloaded): a 2-layer, 64-wide model memorises a handful of fictional facts on
CPU in seconds, which is what the conduct tests need.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


def build_tiny_lm(directory: Path, texts: list[str], seed: int = 0) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800, special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )  # fmt: skip
    bpe.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def split_texts(fset, targets) -> list[str]:
    texts = []
    for target in targets:
        split = fset.split(target)
        texts += [ex.prompt + "\n" + ex.answer for ex in split.train] + [q.prompt for q in split.questions]
        texts += [t.prompt + "\n" + t.gold for t in split.translations]
    return texts


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory) -> Path:
    """A tiny LM whose tokenizer knows the texts of a small generated set (de, zh)."""
    from clika.fictional.generator import generate

    fset = generate(12, ("de", "zh"), seed=0, n_continents=3)
    return build_tiny_lm(tmp_path_factory.mktemp("tiny_lm"), split_texts(fset, ("de", "zh")))


def _bf16_autocast() -> bool:
    from clika.conduct.train import _bf16_supported

    return _bf16_supported(torch.device("cpu"))


# The two precisions TrainConfig(dtype="auto") can mean, depending on the CPU (bf16 autocast with
# AMX or AVX512-BF16, fp32 elsewhere): a test parametrised with these holds whichever a CPU picks.
TRAIN_DTYPES = ["fp32", pytest.param("bf16", marks=pytest.mark.skipif(
    not _bf16_autocast(), reason="torch has no bf16 autocast on this CPU"))]
