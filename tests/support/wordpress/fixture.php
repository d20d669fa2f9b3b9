<?php
/*
 * Fills the installed test site through WordPress's own functions: two users with profiles,
 * a community-events location, session tokens (WP_Session_Tokens, as a log-in creates them),
 * comments by the subject logged in and as a guest with the same address in other case,
 * approved, pending, spam and trashed, and media attachments with real files under the
 * uploads folder (wp_upload_bits + wp_insert_attachment).
 *
 * Usage: php fixture.php [--comments N]   (N extra approved comments by the subject, for the
 * benchmark). Prints JSON: the subject's and the other user's ids and addresses.
 */
require __DIR__ . '/boot.php';
require_once ABSPATH . 'wp-admin/includes/image.php';

$extra = 0;
foreach ( $argv as $i => $arg ) {
	if ( '--comments' === $arg ) {
		$extra = (int) $argv[ $i + 1 ];
	}
}

function privacyd_test_user( array $fields ) {
	$id = wp_insert_user( $fields );
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, 'wp_insert_user: ' . $id->get_error_message() . "\n" );
		exit( 1 );
	}
	return $id;
}

$alice = privacyd_test_user(
	array(
		'user_login'   => 'alice',
		'user_pass'    => 'alice-password-for-tests',
		'user_email'   => 'alice@example.org',
		'user_url'     => 'https://alice.example.org',
		'display_name' => 'Alice Liddell',
		'nickname'     => 'ally',
		'first_name'   => 'Alice',
		'last_name'    => 'Liddell',
		'description'  => 'Writes about rabbits & <b>looking-glasses</b>.',
		'role'         => 'author',
	)
);
$bob = privacyd_test_user(
	array(
		'user_login'  => 'bob',
		'user_pass'   => 'bob-password-for-tests',
		'user_email'  => 'bob@example.org',
		'first_name'  => 'Bob',
		'role'        => 'author',
	)
);

// What the Events and News dashboard widget stores (WP_Community_Events::maybe_update_cache
// keeps the location the API answered, with the IP it was asked for).
update_user_meta(
	$alice,
	'community-events-location',
	array(
		'description' => 'Berlin',
		'latitude'    => '52.5200',
		'longitude'   => '13.4050',
		'country'     => 'DE',
		'ip'          => '203.0.113.0',
	)
);

// Two log-ins from different places: WP_Session_Tokens::create() records expiration, IP,
// user agent and log-in time from the request, as wp_set_auth_cookie() does.
$sessions = WP_Session_Tokens::get_instance( $alice );
$_SERVER['REMOTE_ADDR']     = '198.51.100.23';
$_SERVER['HTTP_USER_AGENT'] = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';
$sessions->create( time() + 2 * DAY_IN_SECONDS );
$_SERVER['REMOTE_ADDR']     = '2001:db8:85a3::8a2e:370:7334';
$_SERVER['HTTP_USER_AGENT'] = 'Mozilla/5.0 (iPhone) Safari/605.1.15';
$sessions->create( time() + 14 * DAY_IN_SECONDS );
WP_Session_Tokens::get_instance( $bob );
$_SERVER['REMOTE_ADDR']     = '192.0.2.77';
$_SERVER['HTTP_USER_AGENT'] = 'curl/8.0';
WP_Session_Tokens::get_instance( $bob )->create( time() + DAY_IN_SECONDS );

$post = wp_insert_post(
	array(
		'post_title'   => 'Through the looking-glass',
		'post_content' => 'A post to comment on.',
		'post_status'  => 'publish',
		'post_author'  => 1,
	)
);

function privacyd_test_comment( array $fields ) {
	$defaults = array(
		'comment_type' => 'comment',
		'comment_date' => current_time( 'mysql' ),
	);
	$id       = wp_insert_comment( array_merge( $defaults, $fields ) );
	if ( ! $id ) {
		fwrite( STDERR, "wp_insert_comment failed\n" );
		exit( 1 );
	}
	return $id;
}

$comments = array();
// Logged in, approved.
$comments[] = privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'Alice Liddell',
		'comment_author_email' => 'alice@example.org',
		'comment_author_url'   => 'https://alice.example.org',
		'comment_author_IP'    => '198.51.100.23',
		'comment_agent'        => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
		'comment_content'      => 'Curiouser and curiouser!',
		'comment_approved'     => 1,
		'user_id'              => $alice,
		'comment_date'         => '2026-11-02 10:15:00',
	)
);
// As a guest, the address in other case, pending moderation, IPv6.
$comments[] = privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'Alice (guest)',
		'comment_author_email' => 'Alice@Example.ORG',
		'comment_author_url'   => '',
		'comment_author_IP'    => '2001:db8:85a3::8a2e:370:7334',
		'comment_agent'        => 'Mozilla/5.0 (iPhone) Safari/605.1.15',
		'comment_content'      => "Two lines,\nand <em>markup</em> & an ampersand.",
		'comment_approved'     => 0,
		'user_id'              => 0,
		'comment_date'         => '2026-11-03 08:00:00',
	)
);
// As a guest, approved, no user agent.
$comments[] = privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'A. L.',
		'comment_author_email' => 'alice@example.org',
		'comment_author_url'   => 'http://rabbit-hole.example',
		'comment_author_IP'    => '203.0.113.99',
		'comment_agent'        => '',
		'comment_content'      => 'Off with their heads? No.',
		'comment_approved'     => 1,
		'user_id'              => 0,
		'comment_date'         => '2026-11-04 18:30:00',
	)
);
// Held as spam, and one in the trash: WordPress's exporter and eraser do not reach these.
$comments[] = privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'Alice',
		'comment_author_email' => 'alice@example.org',
		'comment_author_IP'    => '198.51.100.24',
		'comment_agent'        => 'Mozilla/5.0',
		'comment_content'      => 'Buy rabbits cheap.',
		'comment_approved'     => 'spam',
		'comment_date'         => '2026-11-05 07:00:00',
	)
);
$trashed    = privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'Alice',
		'comment_author_email' => 'alice@example.org',
		'comment_author_IP'    => '198.51.100.25',
		'comment_agent'        => 'Mozilla/5.0',
		'comment_content'      => 'A comment she deleted.',
		'comment_approved'     => 1,
		'comment_date'         => '2026-11-06 07:00:00',
	)
);
wp_trash_comment( $trashed );
$comments[] = $trashed;
// Someone else's.
privacyd_test_comment(
	array(
		'comment_post_ID'      => $post,
		'comment_author'       => 'Bob',
		'comment_author_email' => 'bob@example.org',
		'comment_author_IP'    => '192.0.2.77',
		'comment_agent'        => 'curl/8.0',
		'comment_content'      => 'Not Alice.',
		'comment_approved'     => 1,
		'user_id'              => $bob,
		'comment_date'         => '2026-11-07 07:00:00',
	)
);

// The benchmark's bulk: approved comments by the subject, inserted as wp_insert_comment
// would, in multi-row statements (one call per comment takes WordPress minutes at 100,000).
if ( $extra > 0 ) {
	global $wpdb;
	$batch = array();
	for ( $i = 1; $i <= $extra; $i++ ) {
		$batch[] = $wpdb->prepare(
			"(%d, 'Alice Liddell', 'alice@example.org', 'https://alice.example.org', %s, %s, %s, %s, 0, '1', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', 'comment', 0, %d)",
			$post,
			'198.51.' . ( $i % 250 ) . '.' . ( $i % 200 + 1 ),
			gmdate( 'Y-m-d H:i:s', 1767225600 + $i ),
			gmdate( 'Y-m-d H:i:s', 1767225600 + $i ),
			"Bulk comment number $i, to time the exporters and erasers.",
			$alice
		);
		if ( count( $batch ) === 1000 || $i === $extra ) {
			$wpdb->query(
				"INSERT INTO {$wpdb->comments} (comment_post_ID, comment_author, comment_author_email, comment_author_url, comment_author_IP, comment_date, comment_date_gmt, comment_content, comment_karma, comment_approved, comment_agent, comment_type, comment_parent, user_id) VALUES " . implode( ',', $batch )
			);
			$batch = array();
		}
	}
	wp_update_comment_count_now( $post );
}

// Media: files written by WordPress's upload function, attachments owned by each user.
$png   = base64_decode( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' );
$media = array();
foreach (
	array(
		array( $alice, 'rabbit.png', $png, 'image/png' ),
		array( $alice, 'tea-party notes.txt', "Why is a raven like a writing-desk?\n", 'text/plain' ),
		array( $bob, 'bob.txt', "Bob's file\n", 'text/plain' ),
	) as list( $owner, $name, $bytes, $mime )
) {
	$upload = wp_upload_bits( $name, null, $bytes );
	if ( ! empty( $upload['error'] ) ) {
		fwrite( STDERR, 'wp_upload_bits: ' . $upload['error'] . "\n" );
		exit( 1 );
	}
	$id = wp_insert_attachment(
		array(
			'post_author'    => $owner,
			'post_mime_type' => $mime,
			'post_title'     => pathinfo( $name, PATHINFO_FILENAME ),
			'post_content'   => '',
			'post_status'    => 'inherit',
		),
		$upload['file'],
		$post
	);
	if ( $owner === $alice ) {
		$media[] = $id;
	}
}

echo wp_json_encode(
	array(
		'subject_id'    => $alice,
		'subject_email' => 'alice@example.org',
		'other_id'      => $bob,
		'other_email'   => 'bob@example.org',
		'post_id'       => $post,
		'comment_ids'   => $comments,
		'media_ids'     => $media,
		'uploads'       => wp_get_upload_dir()['basedir'],
	)
), "\n";
