package dev.privacyd.reference;

import dev.privacyd.privacy.datasource.v1.DataCategory;
import dev.privacyd.privacy.datasource.v1.ExportField;
import dev.privacyd.privacy.datasource.v1.ExportItem;
import dev.privacyd.privacy.datasource.v1.LegalBasis;
import dev.privacyd.privacy.datasource.v1.Retention;
import java.util.List;

/**
 * What the shop holds about a customer, and what GDPR Art. 15(1) says the customer must be
 * told about each kind of data. privacyd puts this text into every export, so it is written
 * for the customer, and it must stay true when the code changes.
 */
final class ShopCategories {

  static final DataCategory PROFILE =
      DataCategory.newBuilder()
          .setGroupId("profile")
          .setLabel("Profile")
          .setDescription("The customer account: email address, name and sign-up date.")
          .addPurposes("Running the customer account")
          .setLegalBasis(LegalBasis.LEGAL_BASIS_CONTRACT)
          .addRecipients("Hosting provider (processor)")
          .setRetentionPeriod("Until the account is closed or erased")
          .setOrigin("Provided by the subject at sign-up")
          .build();

  static final DataCategory ORDERS =
      DataCategory.newBuilder()
          .setGroupId("orders")
          .setLabel("Orders")
          .setDescription("Purchases, with the billing name and email address.")
          .addPurposes("Fulfilling orders")
          .addPurposes("Bookkeeping and tax returns")
          .setLegalBasis(LegalBasis.LEGAL_BASIS_CONTRACT)
          .addRecipients("Payment processor")
          .addRecipients("Tax authority, on audit")
          .setRetentionPeriod(
              "10 years after the end of the year of the order"
                  + " (German Commercial Code § 257, Fiscal Code § 147)")
          .setOrigin("Provided by the subject at checkout")
          .build();

  static final DataCategory COMMENTS =
      DataCategory.newBuilder()
          .setGroupId("comments")
          .setLabel("Comments")
          .setDescription("Product reviews the subject wrote.")
          .addPurposes("Showing the subject's reviews on product pages")
          .setLegalBasis(LegalBasis.LEGAL_BASIS_CONSENT)
          .addRecipients("Other visitors of the shop (public)")
          .setRetentionPeriod("Until the subject deletes them or asks for erasure")
          .setOrigin("Written by the subject")
          .build();

  /** In the order Describe lists them and Export streams them. */
  static final List<DataCategory> ALL = List.of(PROFILE, ORDERS, COMMENTS);

  /**
   * Why orders survive an erasure (GDPR Art. 17(3)(b)): the shop must keep its invoices.
   * The item count is filled in per erasure.
   */
  static Retention ordersRetention(long items) {
    return Retention.newBuilder()
        .setGroupId(ORDERS.getGroupId())
        .setItems(items)
        .setReason(
            "Invoices must be kept for 10 years for tax law"
                + " (German Commercial Code § 257, Fiscal Code § 147)")
        .setLegalBasis(LegalBasis.LEGAL_BASIS_LEGAL_OBLIGATION)
        .setRetentionPeriod("10 years after the end of the year of the order")
        .build();
  }

  /**
   * An export item of the category, with its group's label and description repeated, so that
   * privacyd can show the item without looking the category up.
   *
   * @param fields name, value, name, value, ... in display order
   */
  static ExportItem item(DataCategory category, String itemId, String... fields) {
    ExportItem.Builder item =
        ExportItem.newBuilder()
            .setGroupId(category.getGroupId())
            .setGroupLabel(category.getLabel())
            .setGroupDescription(category.getDescription())
            .setItemId(itemId);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      item.addData(ExportField.newBuilder().setName(fields[i]).setValue(fields[i + 1]));
    }
    return item.build();
  }

  private ShopCategories() {}
}
