import torch

from ganvas.style.color import luminance, match_histogram, match_luminance, recombine, rgb_to_yiq, yiq_to_rgb


def mid_range_image(seed, h=12, w=10):
    g = torch.Generator().manual_seed(seed)
    return 60 + torch.rand(1, 3, h, w, generator=g) * 120


def test_yiq_round_trip():
    image = mid_range_image(0)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(image)), image, atol=1e-3)


def test_luminance_preservation_keeps_the_contents_chroma():
    content, stylised = mid_range_image(1), mid_range_image(2)
    out = recombine(stylised, content)
    assert torch.allclose(rgb_to_yiq(out)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-3)
    assert torch.allclose(rgb_to_yiq(out)[:, :1], rgb_to_yiq(stylised)[:, :1], atol=1e-3)


def test_luminance_is_gray_and_matched_to_the_content():
    style, content = mid_range_image(3) * 0.5, mid_range_image(4)
    gray = match_luminance(style, content)
    assert torch.allclose(gray[:, 0], gray[:, 1]) and torch.allclose(gray[:, 1], gray[:, 2])
    y = luminance(content)
    assert torch.isclose(gray.mean(), y.mean(), atol=1e-2)
    assert torch.isclose(gray.std(), y.std(), rtol=1e-2)


def test_histogram_matching_gives_the_style_the_contents_colour_statistics():
    style = mid_range_image(5, 30, 30) * torch.tensor([0.5, 1.0, 0.8]).view(1, 3, 1, 1)
    content = mid_range_image(6, 20, 20)
    out = match_histogram(style, content)

    def stats(img):
        flat = img[0].reshape(3, -1).double()
        centred = flat - flat.mean(1, keepdim=True)
        return flat.mean(1), centred @ centred.T / flat.shape[1]

    (mo, co), (mc, cc) = stats(out), stats(content)
    assert torch.allclose(mo, mc, atol=1e-3)
    assert torch.allclose(co, cc, atol=1e-2)
