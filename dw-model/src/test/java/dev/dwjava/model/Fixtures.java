package dev.dwjava.model;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Fixtures under src/test/resources/fixtures, made by src/test/python/make_fixtures.py. */
public final class Fixtures {
    private Fixtures() {}

    public static Path path(String name) {
        URL url = Fixtures.class.getClassLoader().getResource("fixtures/" + name);
        if (url == null) {
            throw new IllegalStateException("missing fixture " + name + " (regenerate with dw-model/src/test/python/make_fixtures.py)");
        }
        try {
            if (!"jar".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            // Inside the test-jar (another module's tests): copy out to a temporary file.
            String ext = name.contains(".") ? name.substring(name.lastIndexOf('.')) : "";
            Path tmp = java.nio.file.Files.createTempFile("fixture", ext);
            tmp.toFile().deleteOnExit();
            try (java.io.InputStream in = url.openStream()) {
                java.nio.file.Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (URISyntaxException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A small deterministic state dict of several dtypes, for the writer tests. */
    public static java.util.Map<String, org.bytedeco.pytorch.Tensor> writerSample() {
        java.util.Map<String, org.bytedeco.pytorch.Tensor> m = new java.util.LinkedHashMap<>();
        m.put("backbone.conv1.weight", org.bytedeco.pytorch.global.torch.arange(new org.bytedeco.pytorch.Scalar(24))
                .to(org.bytedeco.pytorch.global.torch.ScalarType.Float).div(new org.bytedeco.pytorch.Scalar(8)).reshape(2, 3, 2, 2));
        m.put("backbone.bn1.num_batches_tracked", org.bytedeco.pytorch.global.torch.full(new long[0], new org.bytedeco.pytorch.Scalar(7L),
                new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Long)));
        m.put("bbox_head.scales.0.scale", dev.dwjava.core.tensor.Tensors.of(new double[] {1.25}, org.bytedeco.pytorch.global.torch.ScalarType.Float));
        m.put("double", dev.dwjava.core.tensor.Tensors.of(new double[] {0.1, -2}, org.bytedeco.pytorch.global.torch.ScalarType.Double, 2));
        // A non-contiguous view: written as its contiguous values.
        m.put("transposed", org.bytedeco.pytorch.global.torch.arange(new org.bytedeco.pytorch.Scalar(6))
                .to(org.bytedeco.pytorch.global.torch.ScalarType.Float).reshape(2, 3).t());
        return m;
    }
}
