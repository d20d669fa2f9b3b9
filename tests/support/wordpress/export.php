<?php
/*
 * Runs WordPress's own personal data export for an address the way Tools > Export Personal
 * Data does: a confirmed export request, then admin-ajax's wp-privacy-export-personal-data
 * (wp_ajax_wp_privacy_export_personal_data) for exporter 1..N, page 1.. until each says done,
 * with the POST fields wp-admin/js/privacy-tools.js sends. The last page makes WordPress
 * write its export file (wp_privacy_generate_personal_data_export_file), whose export.json
 * this prints along with every page's answer.
 *
 * Usage: php export.php <email> [--summary]
 * Prints JSON: {"pages": [{"exporter", "page", "data"}...], "export_json": {...}, "file": path}
 * (--summary leaves out pages and export_json, for the benchmark: {"pages": n, "items": n,
 * "file_items": n (items in the file WordPress wrote), "seconds": s (from the request's creation
 * to the last page's answer, the file included), "file"}).
 */
require __DIR__ . '/boot.php';
privacyd_test_ajax_mode();

$email   = $argv[1];
$summary = in_array( '--summary', $argv, true );
wp_set_current_user( 1 );
$started = microtime( true );

$request_id = wp_create_user_request( $email, 'export_personal_data', array(), 'confirmed' );
if ( is_wp_error( $request_id ) ) {
	fwrite( STDERR, 'wp_create_user_request: ' . $request_id->get_error_message() . "\n" );
	exit( 1 );
}
$nonce     = wp_create_nonce( 'wp-privacy-export-personal-data-' . $request_id );
$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );

$pages = array();
$count = 0;
$items = 0;
$last  = null;
for ( $exporter = 1; $exporter <= count( $exporters ); $exporter++ ) {
	for ( $page = 1; ; $page++ ) {
		$answer = privacyd_test_ajax(
			'wp_ajax_wp_privacy_export_personal_data',
			array(
				'action'      => 'wp-privacy-export-personal-data',
				'exporter'    => $exporter,
				'id'          => $request_id,
				'page'        => $page,
				'security'    => $nonce,
				'sendAsEmail' => 'false',
			)
		);
		if ( empty( $answer['success'] ) ) {
			fwrite( STDERR, 'export page failed: ' . wp_json_encode( $answer ) . "\n" );
			exit( 1 );
		}
		$count++;
		$items += count( $answer['data']['data'] );
		if ( ! $summary ) {
			$pages[] = array(
				'exporter' => array_keys( $exporters )[ $exporter - 1 ],
				'page'     => $page,
				'data'     => $answer['data']['data'],
			);
		}
		$last = $answer['data'];
		if ( ! empty( $answer['data']['done'] ) ) {
			break;
		}
	}
}

$seconds = microtime( true ) - $started;

// The last answer carries the file's URL; it lives under the uploads folder.
$file = '';
if ( ! empty( $last['url'] ) ) {
	$exports_url = wp_privacy_exports_url();
	$file        = wp_privacy_exports_dir() . substr( $last['url'], strlen( $exports_url ) );
}
$export_json = null;
if ( $file ) {
	$zip = new ZipArchive();
	if ( true === $zip->open( $file ) ) {
		$export_json = json_decode( $zip->getFromName( 'export.json' ), true );
		$zip->close();
	}
}
if ( $summary ) {
	$file_items = 0;
	foreach ( (array) $export_json as $report ) {
		foreach ( (array) $report as $group_id => $group ) {
			if ( 'about' !== $group_id ) {
				$file_items += count( $group['items'] );
			}
		}
	}
	echo wp_json_encode(
		array(
			'pages'      => $count,
			'items'      => $items,
			'file_items' => $file_items,
			'seconds'    => $seconds,
			'file'       => $file,
		)
	), "\n";
	exit( 0 );
}
echo wp_json_encode(
	array(
		'pages'       => $pages,
		'export_json' => $export_json,
		'file'        => $file,
	),
	JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
), "\n";
