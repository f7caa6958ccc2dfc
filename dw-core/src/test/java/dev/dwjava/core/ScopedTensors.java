package dev.dwjava.core;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit extension for tensor tests: loads libtorch once and runs every test inside its own {@link TensorScope}, so
 * the tensors a test makes are freed when it ends. Use with {@code @ExtendWith(ScopedTensors.class)}.
 */
public final class ScopedTensors implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ScopedTensors.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Torch.init();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("scope", TensorScope.open());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TensorScope scope = context.getStore(NS).remove("scope", TensorScope.class);
        if (scope != null) {
            scope.close();
        }
    }
}
