"""The wire's arrays: base64 of 4-byte values in the machine's byte order, float32 or int32."""

from __future__ import annotations

import base64
import struct
import sys

import pytest
import torch

from gan_worker.arrays import decode_array, encode_array


def test_float32_values_survive_a_round_trip_bit_for_bit() -> None:
    values = torch.tensor([0.0, -1.5, 3.25, 1e-38, 65504.0, float(torch.finfo(torch.float32).max)])
    decoded = decode_array(encode_array(values), torch.float32, "values")
    assert torch.equal(decoded, values)


def test_an_encoded_array_is_what_a_float32array_holds() -> None:
    order = "<" if sys.byteorder == "little" else ">"
    assert encode_array(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == base64.b64encode(struct.pack(f"{order}4f", 1, 2, 3, 4)).decode()


def test_float64_and_device_tensors_go_out_as_float32() -> None:
    assert encode_array(torch.tensor([0.5], dtype=torch.float64)) == encode_array(torch.tensor([0.5]))


def test_int32_rows_decode_as_integers() -> None:
    order = "<" if sys.byteorder == "little" else ">"
    text = base64.b64encode(struct.pack(f"{order}3i", 7, -1, 2**31 - 1)).decode()
    assert decode_array(text, torch.int32, "rows").tolist() == [7, -1, 2**31 - 1]


def test_empty_arrays_are_empty_both_ways() -> None:
    assert encode_array(torch.zeros(0)) == ""
    assert decode_array("", torch.float32, "empty").numel() == 0


def test_text_that_is_not_base64_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"^data\.z: not base64"):
        decode_array("not base64!", torch.float32, "data.z")


def test_a_byte_count_that_is_not_whole_values_is_refused() -> None:
    with pytest.raises(ValueError, match="6 bytes is not a whole number of 4-byte values"):
        decode_array(base64.b64encode(b"123456").decode(), torch.float32, "x")
