<?php
/*
 * Runs WordPress's own personal data erasure for an address the way Tools > Erase Personal
 * Data does: a confirmed erasure request, then admin-ajax's wp-privacy-erase-personal-data
 * (wp_ajax_wp_privacy_erase_personal_data) for eraser 1..N, page 1.. until each says done,
 * with the POST fields wp-admin/js/privacy-tools.js sends.
 *
 * Usage: php erase.php <email>
 * Prints JSON: {"pages": [{"eraser", "page", "items_removed", "items_retained", "messages", "done"}...]}
 */
require __DIR__ . '/boot.php';
privacyd_test_ajax_mode();

$email = $argv[1];
wp_set_current_user( 1 );

$request_id = wp_create_user_request( $email, 'remove_personal_data', array(), 'confirmed' );
if ( is_wp_error( $request_id ) ) {
	fwrite( STDERR, 'wp_create_user_request: ' . $request_id->get_error_message() . "\n" );
	exit( 1 );
}
$nonce   = wp_create_nonce( 'wp-privacy-erase-personal-data-' . $request_id );
$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );

$pages = array();
for ( $eraser = 1; $eraser <= count( $erasers ); $eraser++ ) {
	for ( $page = 1; ; $page++ ) {
		$answer = privacyd_test_ajax(
			'wp_ajax_wp_privacy_erase_personal_data',
			array(
				'action'   => 'wp-privacy-erase-personal-data',
				'eraser'   => $eraser,
				'id'       => $request_id,
				'page'     => $page,
				'security' => $nonce,
			)
		);
		if ( empty( $answer['success'] ) ) {
			fwrite( STDERR, 'erase page failed: ' . wp_json_encode( $answer ) . "\n" );
			exit( 1 );
		}
		$pages[] = array_merge(
			array(
				'eraser' => array_keys( $erasers )[ $eraser - 1 ],
				'page'   => $page,
			),
			$answer['data']
		);
		if ( ! empty( $answer['data']['done'] ) ) {
			break;
		}
	}
}
echo wp_json_encode( array( 'pages' => $pages ), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ), "\n";
