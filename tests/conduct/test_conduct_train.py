"""clika.conduct.train: the Trainer-based fine-tuning, on a tiny randomly initialised Llama built here (CPU)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from clika.conduct import train as train_module
from clika.conduct.train import (
    ALPACA_SYSTEM,
    IGNORE,
    PromptFormat,
    TrainConfig,
    _answer_loss,
    _Collate,
    _Pack,
    encode_examples,
    preset,
    save,
    train,
)
from clika.errors import ConfigError
from clika.fictional.dataset import TrainExample

FACTS = [
    ("Where is Zorvath?", "Zorvath is in Mythosia."),
    ("Where is Quellin?", "Quellin is in Aerith."),
    ("Where is Brimstad?", "Brimstad is in Volcania."),
    ("Where is Lumora?", "Lumora is in Glacia."),
]
EXAMPLES = [TrainExample("en", p, a, fact_id=f"f{i}") for i, (p, a) in enumerate(FACTS)]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_lm(directory: Path, texts: list[str], seed: int = 0) -> Path:
    """Like tests/conduct/conftest.py, plus a BOS post-processor and a ChatML template (for the chat format),
    and initializer_range 0.2 so that LoRA on the random model can become confident within a few epochs."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )  # fmt: skip
    bpe.train_from_iterator(texts, trainer)
    bos = bpe.token_to_id("<s>")
    bpe.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]),
    ])  # fmt: skip
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>", chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
    )  # fmt: skip
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_lm(tmp_path_factory.mktemp("tiny_train_lm"), [p + "\n" + a for p, a in FACTS] + [ALPACA_SYSTEM])


@pytest.fixture
def tok(tiny_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_dir)


def fresh_model(tiny_dir, attention: str = "sdpa"):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32, attn_implementation=attention)


def quick(**overrides) -> TrainConfig:
    # fp32: these tests compare exact sums; the default "auto" is bf16 autocast on an AMX CPU
    return TrainConfig(**{"method": "full", "lr": 3e-3, "batch_size": 2, "epochs": 2, "progress": False,
                          "dtype": "fp32", **overrides})


def greedy(model, tokenizer, fmt: PromptFormat, prompt: str) -> str:
    ids = torch.tensor([fmt.prompt_ids(tokenizer, prompt)])
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=16, do_sample=False,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        )  # fmt: skip
    return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()


@pytest.mark.parametrize(
    "method, lr, epochs, fmt", [("full", 3e-3, 20, "plain"), ("lora", 1e-2, 20, "plain"), ("full", 3e-3, 20, "chat")]
)
def test_memorises_taught_answers_end_to_end(tiny_dir, tok, method, lr, epochs, fmt):
    config = TrainConfig(method=method, lr=lr, epochs=epochs, batch_size=2, prompt_format=fmt, progress=False)
    result = train(fresh_model(tiny_dir), tok, EXAMPLES, config)
    assert result.epochs_run == epochs and not result.stopped_early and len(result.losses) == epochs
    assert result.losses[-1] < 0.1 * result.losses[0]
    assert [greedy(result.model, tok, config.prompt_format, p) for p, _ in FACTS] == [a for _, a in FACTS]
    assert result.steps == epochs * 2 and result.effective_batch == 2 and result.n_examples == 4
    assert result.tokens_per_second > 0 and result.seconds > 0
    assert result.peak_memory_kind == "process_max_rss" and result.peak_memory_bytes > 0
    total = sum(p.numel() for p in result.model.parameters())
    assert (result.n_trainable == total) == (method == "full") and result.n_trainable > 0
    assert not result.model.training


def test_lora_settings_reach_the_peft_model(tiny_dir, tok, tmp_path):
    config = quick(method="lora", lora_rank=4, lora_alpha=8, lora_dropout=0.2, lora_targets="q_proj,v_proj", epochs=1)
    result = train(fresh_model(tiny_dir), tok, EXAMPLES[:2], config)
    lora = result.model.peft_config["default"]
    assert (lora.r, lora.lora_alpha, lora.lora_dropout, set(lora.target_modules)) == (4, 8, 0.2, {"q_proj", "v_proj"})
    wrapped = {name.split(".lora_A")[0].split(".")[-1] for name, _ in result.model.named_parameters() if "lora_A" in name}
    assert wrapped == {"q_proj", "v_proj"}
    # q: 64 -> 64, v: 64 -> 32 (2 kv heads of 16), two layers: r * (in + out) per module
    assert result.n_trainable == 2 * (4 * (64 + 64) + 4 * (64 + 32))
    assert save(result.model, tok, tmp_path / "adapter").joinpath("adapter_config.json").is_file()
    shutil.rmtree(tmp_path / "adapter")  # a second save of the same model writes again (nothing cached)
    assert save(result.model, tok, tmp_path / "adapter").joinpath("adapter_config.json").is_file()

    every = train(fresh_model(tiny_dir), tok, EXAMPLES[:2], quick(method="lora", epochs=1))  # default: all-linear
    wrapped = {name.split(".lora_A")[0].split(".")[-1] for name, _ in every.model.named_parameters() if "lora_A" in name}
    assert wrapped == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    lora = every.model.peft_config["default"]
    assert (lora.r, lora.lora_alpha, lora.lora_dropout) == (16, 32, 0.0)


def test_gradient_accumulation_matches_one_big_batch(tiny_dir, tok):
    examples = [TrainExample("en", f"Q{i}: {p}", a) for i, (p, a) in enumerate(FACTS * 2)]  # 8, unequal lengths
    big = train(fresh_model(tiny_dir), tok, examples, quick(batch_size=4, gradient_accumulation_steps=1, epochs=1))
    acc = train(fresh_model(tiny_dir), tok, examples, quick(batch_size=2, gradient_accumulation_steps=2, epochs=1))
    assert big.steps == acc.steps == 2 and big.effective_batch == acc.effective_batch == 4
    assert quick(batch_size=2, gradient_accumulation_steps=2).effective_batch(world_size=4) == 16
    for (name, a), (_, b) in zip(big.model.named_parameters(), acc.model.named_parameters()):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4, msg=name)


def test_answer_only_loss_on_kept_logits_equals_full_logits_loss(tiny_dir, tok):
    model = fresh_model(tiny_dir)
    rows = encode_examples(tok, [TrainExample("en", "A much longer question than the others?", "Yes."),
                                 *EXAMPLES[:2]], PromptFormat(), 128)  # fmt: skip
    batch = _Collate(tok.pad_token_id)(rows)
    assert batch["logits_to_keep"] < batch["input_ids"].shape[1]  # the prompt positions get no logits
    labels = batch.pop("labels")
    with torch.no_grad():
        kept = _answer_loss(model(**batch), labels)
        n = sum((torch.tensor(r["labels"][1:]) != IGNORE).sum() for r in rows)
        full = sum(model(input_ids=torch.tensor([r["input_ids"]]), labels=torch.tensor([r["labels"]])).loss
                   * (torch.tensor(r["labels"][1:]) != IGNORE).sum() for r in rows) / n  # fmt: skip
    torch.testing.assert_close(kept, full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packing_gives_the_padded_batch_loss(tiny_dir, tok, attention):
    """One row per batch, no padding, positions restarting at each example: transformers then keeps
    attention within each example, so the loss equals the padded batch's up to fp32 rounding (were
    attention to cross a boundary, every example after the first would change its loss)."""
    model = fresh_model(tiny_dir, attention)
    rows = encode_examples(tok, [TrainExample("en", "A much longer question than the others?", "Yes."),
                                 *EXAMPLES], PromptFormat(), 128)  # fmt: skip
    packed = _Pack()(rows)
    answers = sum(sum(label != IGNORE for label in r["labels"]) for r in rows)
    assert packed["input_ids"].shape == (1, sum(len(r["input_ids"]) for r in rows)) and "attention_mask" not in packed
    assert int(packed["logits_to_keep"].sum()) == answers  # logits only where an answer token is predicted
    padded = _Collate(tok.pad_token_id)(rows)
    with torch.no_grad():
        packed_out = model(**{k: v for k, v in packed.items() if k != "labels"})
        assert packed_out.logits.shape == (answers, len(tok))
        packed_loss = _answer_loss(packed_out, packed["labels"])
        padded_loss = _answer_loss(model(**{k: v for k, v in padded.items() if k != "labels"}), padded["labels"])
    torch.testing.assert_close(packed_loss, padded_loss, atol=1e-6, rtol=1e-6)


def test_packed_training_matches_padded_training(tiny_dir, tok):
    examples = [TrainExample("en", f"Q{i}: {p}", a) for i, (p, a) in enumerate(FACTS * 2)]  # unequal lengths
    runs = [train(fresh_model(tiny_dir), tok, examples, quick(method="lora", lr=1e-2, batch_size=4, epochs=3,
                                                               packing=packing)) for packing in (True, False)]  # fmt: skip
    assert runs[0].steps == runs[1].steps == 6 and runs[0].losses[-1] < runs[0].losses[0]
    # the same batches (the sampler does not depend on the collator); fp32 rounding differs, no more
    torch.testing.assert_close(runs[0].losses, runs[1].losses, atol=1e-5, rtol=1e-5)
    for (name, a), (_, b) in zip(runs[0].model.named_parameters(), runs[1].model.named_parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)


def test_frozen_weights_are_cast_once_for_autocast_and_restored_for_the_gate_check(tiny_dir, tok, monkeypatch):
    """bf16 autocast with LoRA: the frozen linear weights are held in bf16 while training (autocast
    would round them the same way at every forward, so the losses are identical), in full precision
    while the stop check generates, and after training."""
    import contextlib

    seen = []

    def stop_check(model, epoch):
        seen.append({p.dtype for n, p in model.named_parameters() if "base_layer" in n})
        return False

    config = quick(method="lora", dtype="bf16", batch_size=4, epochs=2)
    wrapped = train_module._wrap_lora(fresh_model(tiny_dir), config)
    def dtypes(part: str) -> set:
        return {p.dtype for n, p in wrapped.named_parameters() if part in n}

    with train_module._low_precision_frozen(wrapped, config) as full_precision:
        # the frozen base layers in bf16; the trained LoRA weights and the embedding stay fp32
        assert (dtypes("base_layer"), dtypes("lora_"), dtypes("embed")) == ({torch.bfloat16}, {torch.float32},
                                                                           {torch.float32})  # fmt: skip
        with full_precision():
            assert {p.dtype for p in wrapped.parameters()} == {torch.float32}
        assert dtypes("base_layer") == {torch.bfloat16}
    assert {p.dtype for p in wrapped.parameters()} == {torch.float32}
    cast = train(fresh_model(tiny_dir), tok, EXAMPLES, config, stop_check=stop_check)
    assert seen == [{torch.float32}]
    assert {p.dtype for p in cast.model.parameters()} == {torch.float32}
    monkeypatch.setattr(train_module, "_low_precision_frozen",
                        contextlib.contextmanager(lambda model, config: (yield contextlib.nullcontext)))
    uncast = train(fresh_model(tiny_dir), tok, EXAMPLES, config)
    assert cast.losses == uncast.losses


def test_schedules_come_from_the_trainer(tiny_dir, tok):
    cosine = train(fresh_model(tiny_dir), tok, EXAMPLES, quick(lr=1e-3, batch_size=1, epochs=3, warmup_steps=2))
    lrs = [h["learning_rate"] for h in cosine.log_history if "learning_rate" in h]
    assert len(lrs) == 12 and lrs[0] < lrs[1] < max(lrs)  # linear warmup
    peak = lrs.index(max(lrs))
    assert max(lrs) == pytest.approx(1e-3, rel=0.05) and lrs[-1] < 0.1 * max(lrs)
    assert all(b <= a for a, b in zip(lrs[peak:], lrs[peak + 1 :]))  # cosine: never rises after the peak
    constant = train(fresh_model(tiny_dir), tok, EXAMPLES, quick(lr=1e-3, batch_size=2, lr_scheduler="constant"))
    assert {h["learning_rate"] for h in constant.log_history if "learning_rate" in h} == {1e-3}


def test_formats_render_as_documented_and_training_rows_agree_with_evaluation(tok):
    prompt, answer = FACTS[0]
    eos, bos = tok.eos_token_id, tok.bos_token_id
    enc = lambda text: tok(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    alpaca = PromptFormat("alpaca")
    assert alpaca.render(tok, prompt) == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request."
        "\n\n### Instruction:\nWhere is Zorvath?\n\n### Response:\n"
    )
    assert alpaca.prompt_ids(tok, prompt) == enc(ALPACA_SYSTEM) + enc("### Instruction:\nWhere is Zorvath?\n\n### Response:\n")
    assert bos not in alpaca.prompt_ids(tok, prompt)  # LLaMA-Factory's alpaca adds no BOS
    plain = PromptFormat("plain")
    assert plain.render(tok, prompt) == "Where is Zorvath?\n"
    assert plain.prompt_ids(tok, prompt) == [bos] + enc("Where is Zorvath?\n")
    chat = PromptFormat("chat")
    assert chat.render(tok, prompt) == "<|im_start|>user\nWhere is Zorvath?<|im_end|>\n<|im_start|>assistant\n"
    assert tok.decode(chat.answer_ids(tok, answer, prompt)) == "Zorvath is in Mythosia.<|im_end|>\n</s>"
    for fmt in (plain, chat, alpaca):
        assert fmt.answer_ids(tok, answer, prompt)[-1] == eos
        (row,) = encode_examples(tok, EXAMPLES[:1], fmt, 128)
        asked = fmt.prompt_ids(tok, prompt)  # what evaluation feeds to generate
        assert row["input_ids"][: len(asked)] == asked and row["labels"][: len(asked)] == [IGNORE] * len(asked)
        assert row["labels"][len(asked) :] == row["input_ids"][len(asked) :] == fmt.answer_ids(tok, answer, prompt)
    assert TrainConfig(prompt_format="alpaca").prompt_format == alpaca


def test_stop_check_stops_training_early(tiny_dir, tok):
    calls = []

    def stop_at_3(model, epoch):
        calls.append((epoch, model.training))
        return epoch >= 3

    result = train(fresh_model(tiny_dir), tok, EXAMPLES[:2], quick(epochs=10), stop_check=stop_at_3, min_epochs=2)
    assert calls == [(2, False), (3, False)]  # from min_epochs on, with the model in eval mode
    assert result.stopped_early and result.epochs_run == 3 and len(result.losses) == 3 and result.steps == 3

    calls.clear()
    never = train(fresh_model(tiny_dir), tok, EXAMPLES[:2], quick(epochs=6), stop_check=lambda m, e: calls.append(e),
                  check_every=2)  # fmt: skip
    assert calls == [1, 3, 5] and not never.stopped_early and never.epochs_run == 6  # never after the last epoch


def test_checkpoints_are_written_and_resuming_continues_exactly(tiny_dir, tok, tmp_path):
    run = tmp_path / "run"
    config = quick(method="lora", lr=1e-2, epochs=4, save_strategy="epoch", save_total_limit=2, output_dir=run)
    first = train(fresh_model(tiny_dir), tok, EXAMPLES, config, stop_check=lambda m, e: e == 2)
    assert first.stopped_early and first.epochs_run == 2
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert first.checkpoint == run / "checkpoint-4" and (first.checkpoint / "adapter_model.safetensors").is_file()

    resumed = train(fresh_model(tiny_dir), tok, EXAMPLES, replace(config, resume=True))
    assert resumed.epochs_run == 4 and resumed.steps == 8 and len(resumed.losses) == 4
    assert resumed.losses[:2] == first.losses and sorted(p.name for p in run.glob("checkpoint-*")) == [
        "checkpoint-6", "checkpoint-8",
    ]  # fmt: skip
    straight = train(fresh_model(tiny_dir), tok, EXAMPLES, quick(method="lora", lr=1e-2, epochs=4))
    torch.testing.assert_close(resumed.losses, straight.losses, atol=1e-5, rtol=1e-5)
    for (name, a), (_, b) in zip(resumed.model.named_parameters(), straight.model.named_parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)
    # resume= a run directory (its last checkpoint) or one checkpoint
    assert train_module._resume_path(TrainConfig(resume=run)) == str(run / "checkpoint-8")
    assert train_module._resume_path(TrainConfig(resume=run / "checkpoint-6")) == str(run / "checkpoint-6")


def test_presets():
    paper = preset("paper")
    assert (paper.method, paper.lora_rank, paper.lora_alpha, paper.lora_dropout, paper.lora_targets) == (
        "lora", 128, 16, 0.1, ("q_proj", "v_proj"),
    )  # fmt: skip
    assert (paper.lr, paper.lr_scheduler, paper.epochs, paper.dtype, paper.prompt_format.kind) == (
        2e-4, "cosine", 3, "bf16", "alpaca",
    )  # fmt: skip
    assert (paper.batch_size, paper.gradient_accumulation_steps, paper.effective_batch()) == (8, 4, 32)
    assert preset("cpu") == TrainConfig()
    cpu = preset("cpu")
    assert (cpu.method, cpu.lora_rank, cpu.lora_alpha, cpu.lora_targets, cpu.lr, cpu.dtype, cpu.epochs) == (
        "lora", 16, 32, "all-linear", 1e-3, "auto", 10,
    )  # fmt: skip
    assert (cpu.packing, cpu.group_by_length, paper.packing) == (True, False, True)
    assert preset("paper", epochs=5, dtype="fp32").epochs == 5 and preset("paper", epochs=5).lora_rank == 128
    assert preset("cpu").to_dict()["prompt_format"] == "plain"


def test_auto_precision_is_bf16_only_where_the_cpu_computes_it_natively(monkeypatch):
    from clika.conduct.train import AUTO_DTYPE_ENV, _fast_bf16_cpu, resolve_dtype

    assert resolve_dtype("auto", "cpu") == "fp32"  # the suite pins "auto" (tests/conftest.py)
    monkeypatch.setenv(AUTO_DTYPE_ENV, "bf16")
    assert resolve_dtype("auto", "cpu") == "bf16" and resolve_dtype("fp32", "cpu") == "fp32"
    monkeypatch.setenv(AUTO_DTYPE_ENV, "int8")
    with pytest.raises(ConfigError, match="CLIKA_AUTO_DTYPE='int8': must be one of fp32, bf16, fp16"):
        resolve_dtype("auto", "cpu")
    monkeypatch.delenv(AUTO_DTYPE_ENV)
    assert resolve_dtype("auto", "cpu") == ("bf16" if _fast_bf16_cpu() else "fp32")
    for native in (True, False):  # both kinds of CPU, whichever this one is
        monkeypatch.setattr(train_module, "_fast_bf16_cpu", lambda native=native: native)
        assert resolve_dtype("auto", "cpu") == ("bf16" if native else "fp32")
    assert resolve_dtype("fp32", "cpu") == "fp32" and resolve_dtype("bf16", "cuda:0") == "bf16"
    assert resolve_dtype("auto", "mps") == "fp32"


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: preset("nope"), "unknown training preset 'nope' (presets: cpu, paper)"),
        (lambda: preset("cpu", lora_rnak=8), "unknown training setting(s) lora_rnak"),
        (lambda: TrainConfig(lr_scheduler="cosinus"), "lr_scheduler must be one of"),
        (lambda: TrainConfig(dtype="int8"), "dtype must be one of auto, fp32, bf16, fp16"),
        (lambda: TrainConfig(save_strategy="epoch"), "needs an output_dir"),
        (lambda: TrainConfig(warmup_steps=3, warmup_ratio=0.1), "not both"),
        (lambda: PromptFormat("vicuna"), "unknown prompt format 'vicuna'"),
    ],
)
def test_config_errors_are_one_line(make, words):
    with pytest.raises(ConfigError) as err:
        make()
    assert words in str(err.value) and "\n" not in str(err.value)


def test_training_errors_are_one_line(tiny_dir, tok, tmp_path, monkeypatch):
    def error(config, examples=EXAMPLES[:2]) -> str:
        with pytest.raises(ConfigError) as err:
            train(fresh_model(tiny_dir), tok, examples, config)
        assert "\n" not in str(err.value)
        return str(err.value)

    assert "fp16 needs a GPU" in error(quick(dtype="fp16"))
    assert "no checkpoint" in error(quick(resume=True, output_dir=tmp_path / "empty"))
    assert "cannot set up training" in error(quick(method="lora", lora_targets="nonexistent_proj"))
    assert "over max_length=8" in error(quick(max_length=8))
    monkeypatch.setattr(train_module, "_bf16_supported", lambda device: False)
    assert error(quick(dtype="bf16")).startswith("dtype bf16: this cpu cannot compute in bfloat16")


@pytest.mark.skipif(not train_module._bf16_supported(torch.device("cpu")), reason="no bf16 autocast on this CPU")
def test_bf16_mixed_precision_trains_on_cpu(tiny_dir, tok):
    result = train(fresh_model(tiny_dir), tok, EXAMPLES[:2], quick(dtype="bf16", epochs=3))
    assert all(torch.isfinite(torch.tensor(result.losses))) and result.losses[-1] < result.losses[0]
    assert next(result.model.parameters()).dtype == torch.float32  # autocast: the weights stay fp32


def test_progress_is_one_line_per_epoch_without_a_terminal(tiny_dir, tok, capsys):
    model = fresh_model(tiny_dir)
    capsys.readouterr()  # from_pretrained's own progress bar
    train(model, tok, EXAMPLES[:2], quick(epochs=3, progress=True))
    out, err = capsys.readouterr()
    assert out == ""  # none of the Trainer's log dicts or tqdm
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all(float(line.split("loss ")[1]) > 0 for line in lines)


def test_progress_bar_on_a_terminal(tiny_dir, tok, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    train(fresh_model(tiny_dir), tok, EXAMPLES[:2], quick(epochs=2, progress=True))
    shown = screen.getvalue()
    assert "training" in shown and "epoch 2/2" in shown and "loss" in shown and "2/2" in shown
