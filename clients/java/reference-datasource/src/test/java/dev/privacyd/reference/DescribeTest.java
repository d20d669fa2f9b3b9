package dev.privacyd.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.privacyd.privacy.datasource.v1.Capability;
import dev.privacyd.privacy.datasource.v1.DataCategory;
import dev.privacyd.privacy.datasource.v1.DescribeRequest;
import dev.privacyd.privacy.datasource.v1.DescribeResponse;
import dev.privacyd.privacy.datasource.v1.LegalBasis;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Describe: who the source is and what GDPR Art. 15(1) says about each category it holds. */
class DescribeTest {

  @TempDir Path dir;

  @Test
  void describesTheShopAndItsThreeCategories() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      DescribeResponse description = source.stub().describe(DescribeRequest.getDefaultInstance());

      assertEquals(TestSource.NAME, description.getName());
      assertTrue(description.getVersion().matches("\\d+\\.\\d+\\.\\d+.*"),
          "the pom's version, filtered in: " + description.getVersion());
      assertEquals(1, description.getProtocolVersion());
      assertEquals(List.of(Capability.CAPABILITY_EXPORT, Capability.CAPABILITY_ERASE),
          description.getCapabilitiesList());

      List<DataCategory> categories = description.getCategoriesList();
      assertEquals(List.of("profile", "orders", "comments"),
          categories.stream().map(DataCategory::getGroupId).toList());

      DataCategory profile = categories.get(0);
      assertEquals("Profile", profile.getLabel());
      assertEquals(List.of("Running the customer account"), profile.getPurposesList());
      assertEquals(LegalBasis.LEGAL_BASIS_CONTRACT, profile.getLegalBasis());
      assertEquals(List.of("Hosting provider (processor)"), profile.getRecipientsList());
      assertEquals("Until the account is closed or erased", profile.getRetentionPeriod());
      assertEquals("Provided by the subject at sign-up", profile.getOrigin());

      DataCategory orders = categories.get(1);
      assertEquals("Orders", orders.getLabel());
      assertEquals(List.of("Fulfilling orders", "Bookkeeping and tax returns"), orders.getPurposesList());
      assertEquals(LegalBasis.LEGAL_BASIS_CONTRACT, orders.getLegalBasis());
      assertEquals(List.of("Payment processor", "Tax authority, on audit"), orders.getRecipientsList());
      assertEquals("10 years after the end of the year of the order"
          + " (German Commercial Code § 257, Fiscal Code § 147)", orders.getRetentionPeriod());
      assertEquals("Provided by the subject at checkout", orders.getOrigin());

      DataCategory comments = categories.get(2);
      assertEquals("Comments", comments.getLabel());
      assertEquals(List.of("Showing the subject's reviews on product pages"), comments.getPurposesList());
      assertEquals(LegalBasis.LEGAL_BASIS_CONSENT, comments.getLegalBasis());
      assertEquals(List.of("Other visitors of the shop (public)"), comments.getRecipientsList());
      assertEquals("Until the subject deletes them or asks for erasure", comments.getRetentionPeriod());
      assertEquals("Written by the subject", comments.getOrigin());

      for (DataCategory category : categories) {
        assertTrue(!category.getDescription().isBlank(), category.getGroupId() + " has a description");
      }
    }
  }
}
