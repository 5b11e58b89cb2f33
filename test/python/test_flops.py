"""The FLOP formulas (torch.utils.flop_counter's, as gan_worker.flops writes them) against hand-computed values."""

from __future__ import annotations

from gan_worker.flops import bmm_flop_count, conv_backward_flop_count, conv_flop_count, mm_flop_count


def test_a_matrix_product_counts_two_flops_per_multiply_add() -> None:
    # [16, 64] by [64, 128]: 16 x 128 outputs, 64 multiply-adds each, 2 FLOPs per multiply-add.
    assert mm_flop_count([16, 64], [64, 128]) == 2 * 16 * 128 * 64 == 262_144


def test_a_batched_product_counts_each_batch() -> None:
    assert bmm_flop_count([3, 2, 5], [3, 5, 7]) == 3 * 2 * 2 * 7 * 5 == 420


def test_a_convolution_counts_weights_times_output_positions() -> None:
    # DCGAN's D layer 1 at batch 2: conv2d 1 -> 64, 4x4, 28x28 -> 14x14. Each of 2 x 64 x 14 x 14 outputs sums
    # 1 x 4 x 4 products: 2 x 64 x 196 x 16 multiply-adds.
    assert conv_flop_count([2, 1, 28, 28], [64, 1, 4, 4], [2, 64, 14, 14]) == 2 * 64 * 196 * 16 * 2 == 802_816


def test_a_transposed_convolution_counts_input_positions() -> None:
    # G layer 1: convTranspose2d 100 -> 256, 7x7 from 1x1 at batch 2; weight [in 100, out 256, 7, 7]. One input
    # position: each of its 100 x 256 x 49 weights is one multiply-add.
    assert conv_flop_count([2, 100, 1, 1], [100, 256, 7, 7], [2, 256, 7, 7], transposed=True) == 2 * 100 * 256 * 49 * 2


def test_a_convolution_backward_counts_the_input_and_weight_gradients_asked_for() -> None:
    x, w, out = [2, 1, 28, 28], [64, 1, 4, 4], [2, 64, 14, 14]
    forward = conv_flop_count(x, w, out)
    # Each gradient is as many multiply-adds as the forward: the same products, read the other way.
    assert conv_backward_flop_count(out, x, w, False, [True, True, False], x, w) == 2 * forward
    assert conv_backward_flop_count(out, x, w, False, [False, True, False], None, w) == forward
    assert conv_backward_flop_count(out, x, w, False, [True, False, False], x, None) == forward
    assert conv_backward_flop_count(out, x, w, False, [False, False, True], None, None) == 0
