import torch

from ganvas.style.losses import Targets, Weights, gram, objective, total_variation


def test_gram_of_known_features_is_divided_by_hw():
    features = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)
    assert torch.allclose(gram(features), torch.tensor([[5.0, 11.0], [11.0, 25.0]]) / 2)


def test_gram_ignores_memory_layout():
    features = torch.randn(1, 8, 5, 7)
    cl = features.contiguous(memory_format=torch.channels_last)
    assert torch.allclose(gram(features), gram(cl), atol=1e-5)


def test_total_variation_on_known_values():
    image = torch.tensor([[0.0, 1.0], [0.0, 3.0]]).view(1, 1, 2, 2)
    # across: (1, 3) -> mean square 5; down: (0, 2) -> mean square 2
    assert float(total_variation(image)) == 7.0
    assert float(total_variation(torch.full((1, 3, 4, 4), 9.0))) == 0.0


def test_objective_weights_style_layers_by_inverse_channels_squared():
    feats = {"a": torch.ones(1, 2, 2, 2), "b": torch.ones(1, 4, 2, 2)}
    zero = {"a": torch.zeros(2, 2), "b": torch.zeros(4, 4)}
    targets = Targets(content={"a": torch.zeros(1, 2, 2, 2)}, grams=[zero], style_weights=[1.0])
    parts = objective(feats, torch.zeros(1, 3, 2, 2), targets, Weights(content=2.0, style=3.0, tv=1.0))
    # every Gram entry is 1, so each layer's MSE is 1 and its weight is 1/C^2
    assert torch.isclose(parts["style"], torch.tensor(3.0 * (1 / 4 + 1 / 16)))
    assert torch.isclose(parts["content"], torch.tensor(2.0))
    assert torch.isclose(parts["loss"], parts["content"] + parts["style"] + parts["tv"])


def test_style_images_blend_by_their_weights():
    feats = {"a": torch.ones(1, 1, 1, 1)}
    targets = Targets(content={}, grams=[{"a": torch.zeros(1, 1)}, {"a": torch.ones(1, 1) * 3}],
                      style_weights=[0.25, 0.75])
    parts = objective(feats, torch.zeros(1, 3, 2, 2), targets, Weights(content=1.0, style=1.0, tv=0.0))
    assert torch.isclose(parts["style"], torch.tensor(0.25 * 1 + 0.75 * 4))


def test_gram_gradient_matches_the_plain_formula():
    features = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(3, 3, dtype=torch.float64)
    (gram(features).double() * weights).sum().backward()
    ours = features.grad.clone()
    features.grad = None
    flat = features.view(3, -1)
    ((flat @ flat.t() / 20) * weights).sum().backward()
    assert torch.allclose(ours, features.grad, atol=1e-5)


def test_gram_of_bf16_features_is_fp32_and_close():
    features = torch.rand(1, 16, 32, 32)
    g16 = gram(features.bfloat16())
    assert g16.dtype == torch.float32
    assert torch.allclose(g16, gram(features), rtol=2e-2)


def test_gram_gradient_of_bf16_features_is_bf16_and_close():
    torch.manual_seed(0)
    features = torch.rand(1, 16, 32, 32)
    weights = torch.randn(16, 16)
    grads = []
    for dtype in (torch.float32, torch.bfloat16):
        leaf = features.to(dtype).detach().requires_grad_(True)
        (gram(leaf) * weights).sum().backward()
        grads.append(leaf.grad)
    assert grads[1].dtype == torch.bfloat16
    assert ((grads[1].float() - grads[0]).norm() / grads[0].norm()).item() < 1e-2


def test_gram_of_large_bf16_features_sums_chunks_in_fp32():
    # One bf16 matmul over all 65,536 rows rounds its result once: ~1.8e-3 relative error here.
    torch.manual_seed(0)
    features = torch.relu(torch.randn(1, 64, 256, 256) + 0.3).bfloat16()
    exact = gram(features.double())
    error = ((gram(features).double() - exact).norm() / exact.norm()).item()
    assert error < 8e-4
