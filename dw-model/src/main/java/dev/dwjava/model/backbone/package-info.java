/** ResNet backbones (DW_SPEC §1.1). */
package dev.dwjava.model.backbone;
